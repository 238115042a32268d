package ltitest

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// exchange is the part of a recorded Moodle exchange these tests read.
type exchange struct {
	Request struct {
		Query map[string][]string `json:"query"`
	} `json:"request"`
	Response struct {
		Status  int                 `json:"status"`
		Headers map[string][]string `json:"headers"`
		Body    string              `json:"body"`
	} `json:"response"`
}

func readExchange(t *testing.T, name string) exchange {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var x exchange
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return x
}

// The auth endpoint's answer has the exact shape of Moodle's, byte for byte.
func TestWriteAutoSubmit_matchesMoodle(t *testing.T) {
	for _, tc := range []struct {
		file   string
		fields [][2]string
	}{
		{"04_driver_student1_auth_missing_response_mode.json", [][2]string{
			{"error", "invalid_request"}, {"error_description", "Invalid response_mode"}, {"state", "state-missing_response_mode"}}},
		{"01_driver_student1_auth_wrong_client_id.json", [][2]string{
			{"error", "unauthorized_client"}, {"state", "state-wrong_client_id"}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			x := readExchange(t, tc.file)
			w := httptest.NewRecorder()
			writeAutoSubmit(w, x.Request.Query["redirect_uri"][0], "ltiAuthForm", tc.fields)
			if got, want := w.Body.String(), x.Response.Body; got != want {
				t.Errorf("body:\ngot  %q\nwant %q", got, want)
			}
			for _, h := range []string{"Content-Type", "Cache-Control"} {
				if got, want := w.Header().Get(h), x.Response.Headers[h][0]; got != want {
					t.Errorf("%s: got %q, want %q", h, got, want)
				}
			}
		})
	}
}

func TestParseForms_moodleAuthForm(t *testing.T) {
	x := readExchange(t, "04_driver_student1_03_moodle_auth_endpoint.json")
	forms := parseForms(x.Response.Body)
	if len(forms) != 1 {
		t.Fatalf("got %d forms, want 1", len(forms))
	}
	f := forms[0]
	if f.action != "http://127.0.0.1:9001/launch" || f.method != "POST" {
		t.Errorf("got action %q method %q, want http://127.0.0.1:9001/launch POST", f.action, f.method)
	}
	if got := f.fields.Get("state"); got != "st_ed628f590fe2b1ed69d4bc27" {
		t.Errorf("state: got %q", got)
	}
	if tok := f.fields.Get("id_token"); len(tok) < 100 || tok[:3] != "eyJ" {
		t.Errorf("id_token: got %.20q…", tok)
	}
	if len(f.fields) != 2 {
		t.Errorf("got fields %v, want id_token and state", f.fields)
	}
}

func TestParseForms(t *testing.T) {
	page := `<!DOCTYPE html><html><body>
<!-- <form action="/commented"><input name="x" value="1"></form> -->
<script>var s = "<form action='/in-script'><input name=y value=2></form>";</script>
<FORM Action='https://tool.example/launch?a=1&amp;b=2' METHOD=post>
  <input type=hidden name="hint" value="{&quot;cmid&quot;:1}">
  <input type="hidden" name='single' value='it&#39;s'/>
  <input type="checkbox" name="box" value="yes">
  <input type="checkbox" name="ticked" checked>
  <input type="submit" name="go" value="Go">
  <input type="text" name="empty">
</FORM>
<form action="/second"><input name="q" value="x y"></form>
</body></html>`
	forms := parseForms(page)
	if len(forms) != 2 {
		t.Fatalf("got %d forms, want 2: %+v", len(forms), forms)
	}
	f := forms[0]
	if f.action != "https://tool.example/launch?a=1&b=2" || f.method != "POST" {
		t.Errorf("form 1: got action %q method %q", f.action, f.method)
	}
	want := map[string]string{"hint": `{"cmid":1}`, "single": "it's", "ticked": "on", "empty": ""}
	for k, v := range want {
		if got, ok := f.fields[k]; !ok || got[0] != v {
			t.Errorf("field %s: got %q, want %q", k, got, v)
		}
	}
	if len(f.fields) != len(want) {
		t.Errorf("got fields %v, want only %v", f.fields, want)
	}
	if g := forms[1]; g.action != "/second" || g.method != "GET" || g.fields.Get("q") != "x y" {
		t.Errorf("form 2: got %+v", g)
	}
}

// parseForms survives any page, and reads back exactly what the platform's
// auto-submitting form writes.
func FuzzParseForms(f *testing.F) {
	f.Add(`<form action=x><input name=a value=b></form>`, "id_token", "eyJ.x.y")
	f.Add(`<form action="&amp;"><input name='a' value="&quot;`, "state", `{"a":"<b>&amp;"}`)
	f.Add("<!--", "error", "")
	f.Fuzz(func(t *testing.T, page, name, value string) {
		parseForms(page)

		if name == "" {
			return
		}
		w := httptest.NewRecorder()
		action := "https://tool.example/launch?a=1&b=" + value
		writeAutoSubmit(w, action, "ltiAuthForm", [][2]string{{name, value}, {"state", "s"}})
		forms := parseForms(w.Body.String())
		if len(forms) != 1 {
			t.Fatalf("got %d forms from %q", len(forms), w.Body.String())
		}
		got := forms[0]
		if got.action != action || got.method != "POST" {
			t.Errorf("got action %q method %q, want %q POST", got.action, got.method, action)
		}
		if vs := got.fields[name]; len(vs) == 0 || vs[0] != value {
			t.Errorf("field %q: got %q, want %q", name, vs, value)
		}
	})
}
