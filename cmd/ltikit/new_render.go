package main

import (
	"bytes"
	"fmt"
	"go/format"
	"io/fs"
	"path"
	"strings"
	"text/template"

	starter "github.com/ltikit/ltikit/template"
)

// renderProject renders the starter project for d: every file of
// starter.FS, by its path in the new project. Templates are rendered and
// lose their suffix, Go files come out gofmt-formatted, and the rest is
// copied.
func renderProject(d starter.Data) (map[string][]byte, error) {
	root, err := fs.Sub(starter.FS, starter.Root)
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{"base": path.Base}
	files := map[string][]byte{}
	err = fs.WalkDir(root, ".", func(name string, ent fs.DirEntry, err error) error {
		if err != nil || ent.IsDir() {
			return err
		}
		data, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		if out, ok := strings.CutSuffix(name, starter.TemplateSuffix); ok {
			t, err := template.New(name).Delims(starter.Left, starter.Right).Funcs(funcs).Option("missingkey=error").Parse(string(data))
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := t.Execute(&b, d); err != nil {
				return err
			}
			name, data = out, b.Bytes()
		}
		if path.Ext(name) == ".go" {
			if data, err = format.Source(data); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		files[name] = data
		return nil
	})
	return files, err
}
