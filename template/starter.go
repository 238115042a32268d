// Package starter holds the starter project that `ltikit new` renders into
// a new directory: a complete LTI 1.3 tool (login, launch, keys, dynamic
// registration, learner and instructor views, deep linking, grades, roster)
// with its tests, ready for `go test ./...` and `go run .`.
//
// The files live under project/ in FS. A file whose name ends in ".tmpl" is a
// text/template template, with the delimiters Left and Right (so that the
// project's own html/template pages pass through untouched), rendered with
// the new project's module path and name and written without the suffix.
// Every other file is copied as it is. The project's Go files end in
// ".go.tmpl" so that this module never compiles them; the generator test in
// cmd/ltikit renders the project, then vets, tests, builds and starts it.
package starter

import "embed"

// FS holds the starter project, under "project/".
//
//go:embed all:project
var FS embed.FS

// Root is the directory of FS that holds the project.
const Root = "project"

// Left and Right are the delimiters of the .tmpl files' actions.
const (
	Left  = "[["
	Right = "]]"
)

// TemplateSuffix marks a file to render; it is removed from the name.
const TemplateSuffix = ".tmpl"

// Data is what the .tmpl files may use.
type Data struct {
	// Module is the new project's module path, such as "example.com/quiz".
	Module string
	// Name is the tool's name, as the LMS and the pages show it.
	Name string
	// LtikitVersion is the version of github.com/ltikit/ltikit the project
	// requires.
	LtikitVersion string
	// LtikitDir, when set, is a local ltikit checkout the project uses
	// through a replace directive instead of a published version.
	LtikitDir string
}
