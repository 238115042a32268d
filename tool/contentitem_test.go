package tool

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestContentItem_DL_CI_JSON: each item type encodes to the property names
// of Deep Linking 2.0, empty properties left out, extensions merged in.
func TestContentItem_DL_CI_JSON(t *testing.T) {
	start := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	end := time.Date(2026, 9, 30, 22, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name string
		item ContentItem
		want string
	}{
		{"DL_CI_RL every property", ResourceLinkItem{
			URL: "https://tool.example/q?id=1&v=2", Title: "Quiz", Text: "Week 1",
			Icon: &Image{URL: "https://tool.example/i.png", Width: 16, Height: 16}, Thumbnail: &Image{URL: "https://tool.example/t.png"},
			Window: &Window{TargetName: "_blank", Width: 900, Height: 700, WindowFeatures: "menubar=no"},
			Iframe: &Iframe{Width: 800, Height: 600},
			Custom: map[string]string{"quiz": "1", "empty": "", "ctx": "$Context.title"},
			LineItem: &LineItem{Label: "Quiz score", ScoreMaximum: 12.5, ResourceID: "quiz-1", Tag: "final",
				GradesReleased: yes()},
			Available:  &TimeWindow{StartDateTime: &start, EndDateTime: &end},
			Submission: &TimeWindow{EndDateTime: &end},
			Extra:      map[string]any{"https://vendor.example/x": map[string]any{"a": 1}},
		}, `{"type":"ltiResourceLink","url":"https://tool.example/q?id=1&v=2","title":"Quiz","text":"Week 1",
			"icon":{"url":"https://tool.example/i.png","width":16,"height":16},"thumbnail":{"url":"https://tool.example/t.png"},
			"window":{"targetName":"_blank","width":900,"height":700,"windowFeatures":"menubar=no"},
			"iframe":{"width":800,"height":600},"custom":{"quiz":"1","empty":"","ctx":"$Context.title"},
			"lineItem":{"label":"Quiz score","scoreMaximum":12.5,"resourceId":"quiz-1","tag":"final","gradesReleased":true},
			"available":{"startDateTime":"2026-09-01T08:00:00Z","endDateTime":"2026-09-30T22:00:00+02:00"},
			"submission":{"endDateTime":"2026-09-30T22:00:00+02:00"},"https://vendor.example/x":{"a":1}}`},
		{"DL_CI_RL minimal: the tool's default URL", ResourceLinkItem{}, `{"type":"ltiResourceLink"}`},
		{"DL_CI_RL line item label defaults to the title", ResourceLinkItem{Title: "Essay", LineItem: &LineItem{ScoreMaximum: 20}},
			`{"type":"ltiResourceLink","title":"Essay","lineItem":{"label":"Essay","scoreMaximum":20}}`},
		{"DL_CI_LINK", LinkItem{URL: "https://v.example/watch?v=1", Title: "Video", Embed: &Embed{HTML: "<iframe src=x></iframe>"},
			Iframe: &Iframe{Src: "https://v.example/embed/1", Width: 640}, Window: &Window{TargetName: "vid"}},
			`{"type":"link","url":"https://v.example/watch?v=1","title":"Video","embed":{"html":"<iframe src=x></iframe>"},
			"window":{"targetName":"vid"},"iframe":{"src":"https://v.example/embed/1","width":640}}`},
		{"DL_CI_FILE", FileItem{URL: "https://f.example/a.pdf?sig=x", Title: "Syllabus", MediaType: "application/pdf", ExpiresAt: &start},
			`{"type":"file","url":"https://f.example/a.pdf?sig=x","title":"Syllabus","mediaType":"application/pdf","expiresAt":"2026-09-01T08:00:00Z"}`},
		{"DL_CI_HTML", HTMLItem{HTML: "<p>Hi & bye</p>", Text: "greeting"},
			`{"type":"html","html":"<p>Hi & bye</p>","text":"greeting"}`},
		{"DL_CI_IMG", ImageItem{URL: "https://i.example/a.png", Width: 320, Height: 200, Thumbnail: &Image{URL: "https://i.example/t.png", Width: 32}},
			`{"type":"image","url":"https://i.example/a.png","thumbnail":{"url":"https://i.example/t.png","width":32},"width":320,"height":200}`},
		{"DL_CI_EXT custom type", CustomItem{Type: "https://vendor.example/poll", Properties: map[string]any{"title": "Poll", "https://vendor.example/q": []int{1, 2}}},
			`{"type":"https://vendor.example/poll","title":"Poll","https://vendor.example/q":[1,2]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.item.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("invalid JSON %s: %v", got, err)
			}
			if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			// encoding/json uses the same encoding.
			viaStd, err := json.Marshal(tt.item)
			if err != nil {
				t.Fatal(err)
			}
			var s any
			if json.Unmarshal(viaStd, &s) != nil || !reflect.DeepEqual(s, w) {
				t.Errorf("json.Marshal gives %s", viaStd)
			}
		})
	}
}

// TestContentItem_DL_CI_EXT_ExtraCannotReplace: an extension property may
// not replace a standard property, even one left empty.
func TestContentItem_DL_CI_EXT_ExtraCannotReplace(t *testing.T) {
	for _, it := range []ContentItem{
		ResourceLinkItem{Extra: map[string]any{"url": "https://evil.example"}},
		ResourceLinkItem{Extra: map[string]any{"lineItem": map[string]any{"scoreMaximum": 0}}},
		LinkItem{URL: "https://x.example", Extra: map[string]any{"embed": "x"}},
		FileItem{URL: "https://x.example", Extra: map[string]any{"type": "image"}},
		HTMLItem{HTML: "x", Extra: map[string]any{"html": "<script>"}},
		ImageItem{URL: "https://x.example", Extra: map[string]any{"width": 1}},
		CustomItem{Type: "https://v.example/t", Properties: map[string]any{"type": "link"}},
	} {
		if b, err := it.MarshalJSON(); err == nil {
			t.Errorf("%T encoded as %s, want an error", it, b)
		}
	}
}
