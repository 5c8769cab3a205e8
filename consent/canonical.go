package consent

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// canonical returns the encoding Digest and MAC cover: the record's JSON
// as encoding/json writes it (fields in declaration order), with Hash
// empty, times in UTC and SubjectID empty when SubjectRef is set. It
// writes that JSON by hand, byte for byte what json.Marshal writes (a test
// compares them on random records), because Verify and every append
// compute it; anything its fast path does not cover (a control character
// in a string, invalid UTF-8, a year beyond 9999) goes to json.Marshal.
func (r Record) canonical() []byte { return r.appendCanonical(make([]byte, 0, 512)) }

// appendCanonical appends r's canonical encoding to b.
func (r Record) appendCanonical(b []byte) []byte {
	r.Hash = ""
	if r.SubjectRef != "" {
		r.SubjectID = ""
	}
	r.CollectedAt = r.CollectedAt.UTC()
	if !r.ExpiresAt.IsZero() {
		r.ExpiresAt = r.ExpiresAt.UTC()
	}
	if out, ok := r.appendJSON(b); ok {
		return out
	}
	m, err := json.Marshal(r)
	if err != nil { // cannot happen for a record a store accepted
		panic(err)
	}
	return append(b, m...)
}

// appendJSON appends r as json.Marshal encodes it, or reports false when
// a value needs json.Marshal's slow path.
func (r *Record) appendJSON(b []byte) ([]byte, bool) {
	ok := true
	str := func(name, s string, omitEmpty bool) {
		if omitEmpty && s == "" {
			return
		}
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		var good bool
		b, good = appendJSONString(b, s)
		ok = ok && good
	}
	tm := func(name string, t time.Time) {
		if y := t.Year(); y < 0 || y > 9999 {
			ok = false
			return
		}
		b = append(b, `,"`...)
		b = append(b, name...)
		b = append(b, `":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = append(b, `{"record_id":`...)
	var good bool
	b, good = appendJSONString(b, r.RecordID)
	ok = ok && good
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, r.Seq, 10)
	str("subject_id", r.SubjectID, false)
	str("subject_ref", r.SubjectRef, true)
	str("controller", r.Controller, true)
	str("purpose", r.Purpose, false)
	if len(r.Categories) > 0 {
		b = append(b, `,"personal_data":[`...)
		for i, c := range r.Categories {
			if i > 0 {
				b = append(b, ',')
			}
			b, good = appendJSONString(b, c)
			ok = ok && good
		}
		b = append(b, ']')
	}
	str("event", string(r.Event), false)
	str("policy_version", r.PolicyVersion, false)
	str("notice_hash", r.NoticeHash, true)
	str("method", r.Method, false)
	str("act", string(r.Act), true)
	str("collected_by", r.CollectedBy, true)
	str("language", r.Language, true)
	str("jurisdiction", r.Jurisdiction, true)
	tm("collected_at", r.CollectedAt)
	if !r.ExpiresAt.IsZero() {
		tm("expires_at", r.ExpiresAt)
	}
	b = append(b, `,"guardian":`...)
	b = strconv.AppendBool(b, r.Guardian)
	str("key_id", r.KeyID, true)
	str("prev_hash", r.PrevHash, false)
	str("hash", r.Hash, false)
	b = append(b, '}')
	return b, ok
}

// appendJSONString appends s quoted as encoding/json quotes it (HTML
// characters and U+2028, U+2029 escaped), or reports false for a string
// with a control character or invalid UTF-8, which it leaves to
// json.Marshal.
func appendJSONString(b []byte, s string) ([]byte, bool) {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c < 0x20:
				return b, false
			case c == '"' || c == '\\':
				b = append(b, s[start:i]...)
				b = append(b, '\\', c)
				start = i + 1
			case c == '<' || c == '>' || c == '&':
				b = append(b, s[start:i]...)
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return b, false
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"'), true
}
