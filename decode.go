package privacy

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"
)

// DecodeJSON reads one JSON value from rd, at most limit bytes (name is
// the constant that sets it, for the error), and decodes it into the
// struct v points to, strictly: unknown object keys, duplicate keys (also
// keys differing only by case), a value of the wrong type, an explicit
// zero time (0001-01-01T00:00:00Z) or one outside the range CheckTime
// allows, trailing data and more than limit bytes are errors: a
// *ValidationError wrapping ErrInvalid whose Field is the path of the
// value at fault ("recipient.country", "purposes[3].bases[0]").
// source names the input in the limit error ("receipt", "request").
func DecodeJSON(rd io.Reader, source string, limit int64, name string, v any) error {
	data, err := ReadLimited(rd, source, limit, name)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("", "unexpected data after the JSON value")
	}
	return decodeValue(raw, reflect.ValueOf(v).Elem(), "")
}

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return invalid("", "malformed JSON at byte %d: %v", syn.Offset, err)
	case errors.Is(err, io.EOF):
		return invalid("", "empty input: want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("", "truncated JSON")
	}
	return invalid("", "%s", strings.TrimPrefix(err.Error(), "json: "))
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
		fields, err := objectMembers(data, path)
		if err != nil {
			return err
		}
		for _, m := range fields {
			f, name, ok := fieldByJSONName(v, m.key)
			if !ok {
				return invalid(join(path, m.key), "unknown field")
			}
			if err := decodeValue(m.value, f, join(path, name)); err != nil {
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
			return invalid(path, "want a JSON array, got %s", jsonKind(data))
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
		entries, err := objectMembers(data, path)
		if err != nil {
			return err
		}
		if v.IsNil() {
			v.Set(reflect.MakeMapWithSize(t, len(entries)))
		}
		for _, m := range entries {
			e := reflect.New(t.Elem()).Elem()
			if err := decodeValue(m.value, e, join(path, m.key)); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(m.key).Convert(t.Key()), e)
		}
		return nil
	}
	if err := json.Unmarshal(data, v.Addr().Interface()); err != nil {
		var typ *json.UnmarshalTypeError
		switch {
		case t == timeType:
			return invalid(path, "want an RFC 3339 time such as 2026-11-28T12:00:00Z, got %s", data)
		case errors.As(err, &typ):
			return invalid(path, "want %s, got JSON %s", typ.Type, typ.Value)
		default:
			// Errors from a type's own decoder (a lawful basis, a period).
			return invalid(path, "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if t == timeType && !null {
		// A time given is a time: the zero time is not "unset" here.
		return checkGivenTime(path, v.Interface().(time.Time))
	}
	return nil
}

// member is one key and value of a JSON object, in document order.
type member struct {
	key   string
	value json.RawMessage
}

// objectMembers returns the members of the JSON object data, sorted by
// key so that the same input gives the same first error. Duplicate keys,
// also keys that differ only by case, are an error naming the path: which
// of them encoding/json would keep is not something a reader of the
// document can see.
func objectMembers(data []byte, path string) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, invalid(path, "want a JSON object, got %s", jsonKind(data))
	}
	var out []member
	seen := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(err)
		}
		key := tok.(string) // the decoder checked the syntax: keys are strings
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, jsonError(err)
		}
		folded := strings.ToLower(strings.ToUpper(key))
		if first, dup := seen[folded]; dup {
			if first == key {
				return nil, invalid(join(path, key), "duplicate key")
			}
			return nil, invalid(join(path, key), "duplicate key: %q and %q differ only by case", first, key)
		}
		seen[folded] = key
		out = append(out, member{key, value})
	}
	slices.SortFunc(out, func(a, b member) int { return strings.Compare(a.key, b.key) })
	return out, nil
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
