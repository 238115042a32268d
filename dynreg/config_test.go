package dynreg_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/dynreg"
	"github.com/ltikit/ltikit/tool"
)

// lookupOnly is a registration store that cannot add registrations.
type lookupOnly struct{}

func (lookupOnly) Platform(context.Context, string, string) (*tool.Platform, error) {
	return nil, tool.ErrPlatformNotFound
}
func (lookupOnly) AddDeployment(context.Context, string, string, string) error { return nil }

func TestNew_Refusals(t *testing.T) {
	keys, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	newTool := func(regs tool.PlatformStore) *tool.Tool {
		tl, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tl.Close() })
		return tl
	}
	mem, _ := tool.NewMemoryPlatforms()
	tl := newTool(mem)
	tests := map[string]dynreg.Config{
		"no tool":                      {Name: "T"},
		"no name":                      {Tool: tl},
		"store cannot add":             {Tool: newTool(lookupOnly{}), Name: "T"},
		"http login URL":               {Tool: tl, Name: "T", LoginURL: "http://tool.example/login"},
		"relative JWKS URL":            {Tool: tl, Name: "T", JWKSURL: "/jwks"},
		"deep linking URL with a hash": {Tool: tl, Name: "T", DeepLinkingURL: "https://tool.example/dl#x"},
		"logo on ftp":                  {Tool: tl, Name: "T", LogoURL: "ftp://tool.example/logo.png"},
		"empty custom parameter name":  {Tool: tl, Name: "T", CustomParameters: map[string]string{"": "x"}},
		"negative TTL":                 {Tool: tl, Name: "T", ConfirmTTL: -1},
	}
	for name, cfg := range tests {
		if h, err := dynreg.New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v: %v", name, cfg, h)
		} else if !strings.HasPrefix(err.Error(), "dynreg: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
	if _, err := dynreg.New(dynreg.Config{Tool: newTool(lookupOnly{}), Name: "T", Registrations: mem}); err != nil {
		t.Errorf("an explicit Registrations beside a lookup-only store: %v", err)
	}
}
