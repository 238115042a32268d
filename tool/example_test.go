package tool_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/tool"
)

// A tool is built once from its registrations and keys, then serves the
// login, launch and JWKS endpoints.
func ExampleNew() {
	regs, err := tool.NewMemoryPlatforms(tool.Platform{
		Issuer:      "https://moodle.example.edu",
		ClientID:    "2T1DmxSUCu2ZSuu",
		Deployments: []string{"1"},
		AuthURL:     "https://moodle.example.edu/mod/lti/auth.php",
		TokenURL:    "https://moodle.example.edu/mod/lti/token.php",
		JWKSURL:     "https://moodle.example.edu/mod/lti/certs.php",
	})
	if err != nil {
		log.Fatal(err)
	}
	key, err := jwks.GenerateKey() // or jwks.LoadKeyDir("keys")
	if err != nil {
		log.Fatal(err)
	}
	keys, err := jwks.NewKeyRing(key)
	if err != nil {
		log.Fatal(err)
	}
	t, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example"})
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()

	mux := http.NewServeMux()
	mux.Handle("/lti/login", t.LoginHandler())
	mux.Handle("/lti/launch", middleware.Launch(t)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		fmt.Fprintf(w, "Hello %s", l.Name)
	})))
	mux.Handle("/.well-known/jwks.json", t.JWKSHandler())

	fmt.Println("redirect_uri:", t.Config().LaunchURL)
	// Output: redirect_uri: https://tool.example/lti/launch
}

// Handlers behind the middleware read the verified launch from the request
// context. Unit tests of such handlers need no platform and no crypto: put
// a Launch in the context.
func ExampleLaunchFrom() {
	home := func(w http.ResponseWriter, r *http.Request) {
		l, ok := tool.LaunchFrom(r.Context())
		if !ok {
			http.Error(w, "no launch", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "%s in %s, instructor: %v, level %s", l.Name, l.Context.Title, l.Roles.IsInstructor(), l.Custom["level"])
	}

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r = r.WithContext(tool.ContextWithLaunch(r.Context(), &tool.Launch{
		Name:    "Ian Instructor",
		Roles:   tool.Roles{tool.RoleInstructor},
		Context: &tool.ContextClaim{ID: "2", Title: "Physics 101"},
		Custom:  map[string]string{"level": "2"},
	}))
	w := httptest.NewRecorder()
	home(w, r)
	fmt.Println(w.Body)
	// Output: Ian Instructor in Physics 101, instructor: true, level 2
}

// Every refusal is a *tool.Error with a stable code; compare with errors.Is.
func ExampleError() {
	var err error = &tool.Error{Code: tool.CodeTokenExpired, Claim: "exp", Detail: "the token expired 95s ago"}
	fmt.Println(errors.Is(err, tool.ErrTokenExpired), tool.CodeOf(err), err.(*tool.Error).Status())
	// Output: true token_expired 401
}
