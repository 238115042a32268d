package dynreg_test

import (
	"log"
	"net/http"

	"github.com/ltikit/ltikit/dynreg"
	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/tool"
)

// A tool that LMS administrators install by pasting
// https://tool.example/lti/register into their LMS. New registrations are
// kept in registrations.json and wait for the tool's administrator to
// approve them.
func ExampleNew() {
	regs, err := tool.OpenPlatforms("registrations.json") // {"platforms": []} to start
	if err != nil {
		log.Fatal(err)
	}
	keys, err := jwks.LoadKeyDir("keys")
	if err != nil {
		log.Fatal(err)
	}
	t, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example"})
	if err != nil {
		log.Fatal(err)
	}
	reg, err := dynreg.New(dynreg.Config{
		Tool:            t,
		Name:            "Quiz Tool",
		Description:     "Quizzes with automatic grading",
		LogoURL:         "https://tool.example/logo.png",
		DeepLinkingURL:  "https://tool.example/lti/launch",
		Grades:          true,
		Roster:          true,
		RequireApproval: true,
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/lti/register", reg)
	mux.Handle("/lti/login", t.LoginHandler())
	mux.Handle("/lti/launch", middleware.Launch(t)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		w.Write([]byte("hello " + l.Name))
	})))
	mux.Handle("/.well-known/jwks.json", t.JWKSHandler())
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", mux))
}
