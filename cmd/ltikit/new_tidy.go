package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// goModTidy runs go mod tidy in dir, which completes go.mod with the
// project's other requirements and writes go.sum.
func goModTidy(dir string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go command was not found: %v", err)
	}
	cmd := exec.Command(goCmd, "mod", "tidy")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		return fmt.Errorf("go mod tidy failed: %s", lines[len(lines)-1])
	}
	return nil
}
