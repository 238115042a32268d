package ltitest

import (
	"html"
	"net/url"
	"strings"
)

// htmlForm is a form found in an HTML page: what a browser would submit.
type htmlForm struct {
	action string // as written; resolve against the page's URL
	method string // upper case; GET when absent
	fields url.Values
}

// parseForms finds the forms of page and the values their fields submit.
// It understands the auto-submitting protocol forms platforms and tools
// write (hidden inputs), not HTML at large: script and comment contents are
// skipped, and only named input elements count.
func parseForms(page string) []htmlForm {
	var forms []htmlForm
	var cur *htmlForm
	for i := 0; i < len(page); {
		lt := strings.IndexByte(page[i:], '<')
		if lt < 0 {
			break
		}
		i += lt
		if strings.HasPrefix(page[i:], "<!--") {
			end := strings.Index(page[i:], "-->")
			if end < 0 {
				return forms
			}
			i += end + 3
			continue
		}
		name, attrs, n := readTag(page[i:])
		i += n
		switch name {
		case "form":
			forms = append(forms, htmlForm{
				action: attrs["action"],
				method: strings.ToUpper(attrs["method"]),
				fields: url.Values{},
			})
			if forms[len(forms)-1].method == "" {
				forms[len(forms)-1].method = "GET"
			}
			cur = &forms[len(forms)-1]
		case "/form":
			cur = nil
		case "input":
			if cur == nil || attrs["name"] == "" {
				break
			}
			switch strings.ToLower(attrs["type"]) {
			case "submit", "button", "image", "reset", "file":
				// not submitted by a script's form.submit()
			case "checkbox", "radio":
				if _, checked := attrs["checked"]; checked {
					cur.fields.Add(attrs["name"], valueOr(attrs, "on"))
				}
			default:
				cur.fields.Add(attrs["name"], attrs["value"])
			}
		case "script", "style":
			end := strings.Index(strings.ToLower(page[i:]), "</"+name)
			if end < 0 {
				return forms
			}
			i += end
		}
	}
	return forms
}

func valueOr(attrs map[string]string, def string) string {
	if v, ok := attrs["value"]; ok {
		return v
	}
	return def
}

// readTag reads the tag at the start of s ("<name attr=...>"). It returns
// the lower-case name ("/name" for an end tag), the attributes with their
// values unescaped, and the number of bytes read. Something that is not a
// tag reads as one byte with an empty name.
func readTag(s string) (name string, attrs map[string]string, n int) {
	i := 1
	start := i
	if i < len(s) && s[i] == '/' {
		i++
	}
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	if i == start || (s[start] == '/' && i == start+1) {
		return "", nil, 1
	}
	name = strings.ToLower(s[start:i])
	attrs = map[string]string{}
	for i < len(s) {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '>' {
			return name, attrs, i + 1
		}
		if s[i] == '/' {
			i++
			continue
		}
		k := i
		for i < len(s) && !isSpace(s[i]) && s[i] != '=' && s[i] != '>' && s[i] != '/' {
			i++
		}
		key := strings.ToLower(s[k:i])
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			attrs[key] = ""
			continue
		}
		i++
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		var val string
		if i < len(s) && (s[i] == '"' || s[i] == '\'') {
			q := s[i]
			end := strings.IndexByte(s[i+1:], q)
			if end < 0 {
				return name, attrs, len(s)
			}
			val = s[i+1 : i+1+end]
			i += end + 2
		} else {
			v := i
			for i < len(s) && !isSpace(s[i]) && s[i] != '>' {
				i++
			}
			val = s[v:i]
		}
		attrs[key] = html.UnescapeString(val)
	}
	return name, attrs, len(s)
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
