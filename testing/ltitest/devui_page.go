package ltitest

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed devui
var devFiles embed.FS

// devStatic is the development LMS's CSS and script, served at /dev/static/.
var devStatic, _ = fs.Sub(devFiles, "devui/static")

// The development LMS's pages: the course (GET /), its live panels (GET
// /dev/panels) and the page shown in the iframe after "Add activity".
var (
	devTemplates = template.Must(template.New("").ParseFS(devFiles, "devui/*.html"))
	devAddedPage = devTemplates.Lookup("added.html")
)

// serveCourse serves the course page.
func (d *devLMS) serveCourse(w http.ResponseWriter, r *http.Request) {
	writePage(w, http.StatusOK, devTemplates.Lookup("course.html"), d.page())
}

// servePanels serves the live panels of the course page, which its script
// fetches every few seconds; an ETag spares sending what did not change.
func (d *devLMS) servePanels(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	if err := devTemplates.ExecuteTemplate(&b, "panels", d.panels()); err != nil {
		http.Error(w, "ltitest: "+err.Error(), http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(b.Bytes())
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(b.Bytes())
}
