package tool_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ltikit/ltikit/testing/storetest"
	"github.com/ltikit/ltikit/tool"
)

func TestMemoryPlatforms_Conformance(t *testing.T) {
	storetest.TestPlatforms(t, func(t *testing.T) tool.Registrations {
		m, err := tool.NewMemoryPlatforms()
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}

func TestFilePlatforms_Conformance(t *testing.T) {
	storetest.TestPlatforms(t, func(t *testing.T) tool.Registrations {
		path := filepath.Join(t.TempDir(), "registrations.json")
		if err := os.WriteFile(path, []byte(`{"platforms": []}`), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := tool.OpenPlatforms(path)
		if err != nil {
			t.Fatal(err)
		}
		return f
	})
}
