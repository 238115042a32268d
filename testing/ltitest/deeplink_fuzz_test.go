package ltitest

import (
	"encoding/json"
	"net/url"
	"testing"
)

// FuzzCheckContentItems: the platform's reading of a tool's content_items
// never panics, returns one item per object in the array, and refuses
// (with a violation) whatever it cannot read.
func FuzzCheckContentItems(f *testing.F) {
	for _, s := range []string{
		`[{"type":"ltiResourceLink","url":"https://t.example/q","custom":{"a":"1"},"lineItem":{"scoreMaximum":10,"label":"Q"},"iframe":{"height":600}}]`,
		`[{"type":"file","url":"https://f.example/a.pdf","mediaType":"application/pdf"},{"type":"html","html":"<p>"}]`,
		`[{"type":"ltiResourceLink","custom":{"a":null},"lineItem":{"scoreMaximum":"10"}}]`,
		`[{"type":"link"},1,null,[],{"type":7}]`, `{}`, `null`, `"x"`, `[`,
	} {
		f.Add([]byte(s), true)
	}
	yes := true
	f.Fuzz(func(t *testing.T, raw []byte, restrict bool) {
		var dl *DeepLinkingSettings
		if restrict {
			dl = &DeepLinkingSettings{AcceptTypes: []string{"ltiResourceLink", "file"}, AcceptPresentationDocumentTargets: []string{"window"},
				AcceptMediaTypes: []string{"image/*"}, AcceptLineItem: &yes}
		}
		v := &violations{}
		items := checkContentItems(raw, dl, v)
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			if len(items) != 0 {
				t.Fatalf("%d items from a claim that is not an array", len(items))
			}
			return
		}
		objects := 0
		for _, it := range list {
			var m map[string]json.RawMessage
			if json.Unmarshal(it, &m) == nil && m != nil {
				objects++
			}
		}
		if len(items) > objects || (len(items) < len(list) && len(v.list) == 0) {
			t.Fatalf("%d items from %d elements (%d objects), violations %v", len(items), len(list), objects, v.list)
		}
		for _, it := range items {
			if it.LineItem != nil && !(it.LineItem.ScoreMaximum > 0) {
				t.Fatalf("accepted a line item with scoreMaximum %v", it.LineItem.ScoreMaximum)
			}
		}
	})
}

// FuzzCheckFormCSP: evaluating any policy against any page never panics.
func FuzzCheckFormCSP(f *testing.F) {
	f.Add("default-src 'none'; script-src 'sha256-abc'; form-action https://lms.example/r; base-uri 'none'",
		`<form></form><script nonce="n">document.forms[0].submit();</script>`, "https://lms.example/r?x=1")
	f.Add("form-action *.example:*/a/, 'self'; script-src 'nonce-n' 'unsafe-inline'", `<script`, "http://[::1]:80/")
	f.Add(";;,form-action", `<script>x.submit()</script><script>`, "")
	self, _ := url.Parse("https://tool.example/pick")
	f.Fuzz(func(t *testing.T, policy, page, action string) {
		u, err := url.Parse(action)
		if err != nil {
			return
		}
		_ = checkFormCSP([]string{policy}, self, u, page)
	})
}
