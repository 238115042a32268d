package ltitest_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ltikit/ltikit/testing/ltitest"
)

// A fault makes the next score post meet 429 Too Many Requests with
// Retry-After; once it is used up, the platform serves the scores again,
// here refusing a request without a token.
func ExamplePlatform_InjectFault() {
	p, err := ltitest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 429, RetryAfter: 2 * time.Second, Times: 1})

	// The line item the platform made for its default resource link.
	li, _ := p.Gradebook().LineItemFor("rl-1")
	path, query, _ := strings.Cut(li.ID, "?")
	scores := path + "/scores?" + query // on the path, before the query

	for range 2 {
		resp, err := http.Post(scores, "application/vnd.ims.lis.v1.score+json", strings.NewReader(`{}`))
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Output:
	// 429 2
	// 401
}
