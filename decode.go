package privacy

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// decodeStrict decodes exactly one JSON object into the struct v points
// to and translates the decoder's errors into *ValidationError naming the
// field by its path ("recipient.country").
func decodeStrict(rd io.Reader, v any) error {
	dec := json.NewDecoder(rd)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return invalidRequest("", "unexpected data after the JSON value")
	}
	var rest json.RawMessage
	if err := dec.Decode(&rest); !errors.Is(err, io.EOF) {
		return invalidRequest("", "unexpected data after the JSON value")
	}
	return decodeValue(raw, reflect.ValueOf(v).Elem(), "")
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	timeType            = reflect.TypeFor[time.Time]()
)

// decodeValue decodes the JSON value data into v as encoding/json does
// (unknown object keys refused), but one object key, array element and
// map entry at a time, so that an unknown key, a value of the wrong type
// or one a type's own decoder refuses is reported as a *ValidationError
// whose Field is its path: "recipient.kind", "purposes[3].bases[0]".
func decodeValue(data []byte, v reflect.Value, path string) error {
	t := v.Type()
	null := string(bytes.TrimSpace(data)) == "null"
	own := reflect.PointerTo(t).Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)
	switch {
	case own:
		// The type decodes itself: a leaf.
	case t.Kind() == reflect.Pointer:
		if null {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return decodeValue(data, v.Elem(), path)
	case t.Kind() == reflect.Struct:
		if null {
			return nil
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(data, &fields); err != nil {
			return invalidRequest(path, "want a JSON object, got %s", jsonKind(data))
		}
		keys := slices.Sorted(maps.Keys(fields)) // the same first error for the same input
		for _, key := range keys {
			f, name, ok := fieldByJSONName(v, key)
			if !ok {
				return invalidRequest(join(path, key), "unknown field")
			}
			if err := decodeValue(fields[key], f, join(path, name)); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		if null {
			v.SetZero()
			return nil
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			return invalidRequest(path, "want a JSON array, got %s", jsonKind(data))
		}
		out := reflect.MakeSlice(t, len(elems), len(elems))
		for i, e := range elems {
			if err := decodeValue(e, out.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(out)
		return nil
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && !reflect.PointerTo(t.Key()).Implements(textUnmarshalerType):
		if null {
			v.SetZero()
			return nil
		}
		var entries map[string]json.RawMessage
		if err := json.Unmarshal(data, &entries); err != nil {
			return invalidRequest(path, "want a JSON object, got %s", jsonKind(data))
		}
		if v.IsNil() {
			v.Set(reflect.MakeMapWithSize(t, len(entries)))
		}
		for _, key := range slices.Sorted(maps.Keys(entries)) {
			e := reflect.New(t.Elem()).Elem()
			if err := decodeValue(entries[key], e, join(path, key)); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), e)
		}
		return nil
	}
	if err := json.Unmarshal(data, v.Addr().Interface()); err != nil {
		var typ *json.UnmarshalTypeError
		switch {
		case t == timeType:
			return invalidRequest(path, "want an RFC 3339 time such as 2026-11-28T12:00:00Z, got %s", data)
		case errors.As(err, &typ):
			return invalidRequest(path, "want %s, got JSON %s", typ.Type, typ.Value)
		default:
			// Errors from a type's own decoder (a lawful basis, a period).
			return invalidRequest(path, "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldByJSONName returns the field of the struct v whose JSON name is
// key, matched as encoding/json does (exactly, else without regard to
// case), and that name.
func fieldByJSONName(v reflect.Value, key string) (reflect.Value, string, bool) {
	t := v.Type()
	fold := -1
	var foldName string
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if name == key {
			return v.Field(i), name, true
		}
		if fold < 0 && strings.EqualFold(name, key) {
			fold, foldName = i, name
		}
	}
	if fold >= 0 {
		return v.Field(fold), foldName, true
	}
	return reflect.Value{}, "", false
}

// jsonKind names the kind of JSON value data holds, for messages.
func jsonKind(data []byte) string {
	switch b := bytes.TrimSpace(data); {
	case len(b) == 0:
		return "nothing"
	case b[0] == '{':
		return "an object"
	case b[0] == '[':
		return "an array"
	case b[0] == '"':
		return "a string"
	case b[0] == 't' || b[0] == 'f':
		return "a boolean"
	case b[0] == 'n':
		return "null"
	default:
		return "a number"
	}
}
