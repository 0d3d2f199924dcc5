package versionfile

import (
	"encoding/json"
	"errors"
	"fmt"
)

// jvalue is a JSON value with where it is in its file, for the editors
// that change strings inside a JSON document (sfdx-project.json, the
// dependencies of a package.json).
type jvalue struct {
	kind byte // '{', '[', '"', 'n' (number), 'b' (true, false), '0' (null)
	// start and end are the value's byte range; for a string, the range
	// of its contents between the quotes.
	start, end int
	line       int
	str        string // a string's decoded value
	escaped    bool   // the string has escapes: its bytes are not str
	keys       []string
	keyLines   []int
	vals       []*jvalue // an object's values (parallel to keys) or an array's items
}

// get returns the value of key in an object, the last one when the key
// is given twice (as JSON.parse and encoding/json read it), or nil.
func (v *jvalue) get(key string) (*jvalue, int) {
	if v == nil || v.kind != '{' {
		return nil, 0
	}
	for i := len(v.keys) - 1; i >= 0; i-- {
		if v.keys[i] == key {
			return v.vals[i], v.keyLines[i]
		}
	}
	return nil, 0
}

// describe names the value for messages.
func (v *jvalue) describe() string {
	switch v.kind {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return fmt.Sprintf("the string %q", clip([]byte(v.str)))
	case 'n':
		return "a number"
	case 'b':
		return "a boolean"
	}
	return "null"
}

// parseJSONTree reads a JSON document (after a UTF-8 byte order mark, if
// any). Its errors are locErrors.
func parseJSONTree(data []byte) (*jvalue, error) {
	b, err := checkJSON(data)
	if err != nil {
		return nil, err
	}
	s := &jsonScan{data: data, pos: b}
	return s.value(), nil
}

// checkJSON refuses a document that is not JSON, with the line of the
// error; b is the length of its byte order mark.
func checkJSON(data []byte) (b int, err error) {
	b = bomLen(data)
	if json.Valid(data[b:]) {
		return b, nil
	}
	var v any
	err = json.Unmarshal(data[b:], &v)
	line := 0
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line = lineAt(data, b+int(se.Offset))
	}
	return b, locErr(line, ErrSyntax, "not valid JSON: %v", err)
}

// value reads one value of a document json.Valid accepted.
func (s *jsonScan) value() *jvalue {
	s.ws()
	v := &jvalue{start: s.pos, line: lineAt(s.data, s.pos)}
	switch c := s.peek(); c {
	case '{':
		v.kind = '{'
		s.pos++
		for {
			s.ws()
			if s.peek() == '}' {
				s.pos++
				break
			}
			line := lineAt(s.data, s.pos)
			ks, ke := s.str()
			var key string
			_ = json.Unmarshal(s.data[ks-1:ke+1], &key)
			s.ws()
			s.pos++ // ':'
			v.keys = append(v.keys, key)
			v.keyLines = append(v.keyLines, line)
			v.vals = append(v.vals, s.value())
			s.ws()
			if s.peek() == ',' {
				s.pos++
			}
		}
	case '[':
		v.kind = '['
		s.pos++
		for {
			s.ws()
			if s.peek() == ']' {
				s.pos++
				break
			}
			v.vals = append(v.vals, s.value())
			s.ws()
			if s.peek() == ',' {
				s.pos++
			}
		}
	case '"':
		v.kind = '"'
		v.start, v.end = s.str()
		_ = json.Unmarshal(s.data[v.start-1:v.end+1], &v.str)
		v.escaped = string(s.data[v.start:v.end]) != v.str
		return v
	default:
		switch c {
		case 't', 'f':
			v.kind = 'b'
		case 'n':
			v.kind = '0'
		default:
			v.kind = 'n'
		}
		for s.pos < len(s.data) && !isJSONDelim(s.data[s.pos]) {
			s.pos++
		}
	}
	v.end = s.pos
	return v
}

func isJSONDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}
