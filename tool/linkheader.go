package tool

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// parseLinks reads Link header values (RFC 8288) and returns the target of
// each relation type, lower-cased; the first link with a relation wins. It
// is lenient where platforms are sloppy (AGS-PAGE-01, Moodle quirk 10):
// parameter values may be unquoted or in ASCII, single or curly quotes
// (rel=“next”), a relation may list several types (rel="next last"), a
// value may start with "Link:", and "&amp;" inside a target is read as "&".
// Malformed parts are skipped; it never fails and never panics.
func parseLinks(values []string) map[string]string {
	links := make(map[string]string)
	for _, v := range values {
		for v != "" {
			lt := strings.IndexByte(v, '<')
			if lt < 0 {
				break
			}
			gt := strings.IndexByte(v[lt+1:], '>')
			if gt < 0 {
				break
			}
			gt += lt + 1
			lt = strings.LastIndexByte(v[:gt], '<') // the '<' nearest the '>'
			target := strings.ReplaceAll(strings.TrimSpace(v[lt+1:gt]), "&amp;", "&")
			params, rest := linkParams(v[gt+1:])
			v = rest
			for p := range strings.SplitSeq(params, ";") {
				name, value, ok := strings.Cut(p, "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
					continue
				}
				for rel := range strings.FieldsSeq(strings.Trim(value, " \t\"'“”‘’")) {
					rel = strings.ToLower(strings.Trim(rel, "\"'“”‘’"))
					if _, seen := links[rel]; !seen && rel != "" && target != "" {
						links[rel] = target
					}
				}
			}
		}
	}
	return links
}

// linkParams splits s, the text after a link's target, at the comma that
// ends the link (one outside double quotes), into the link's parameters and
// the rest of the header value.
func linkParams(s string) (params, rest string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				return s[:i], s[i+1:]
			}
		}
	}
	return s, ""
}

// resolveLink resolves a Link target against the URL of the page that sent
// it. The result must stay on that page's origin: following a link
// elsewhere would hand the bearer token to another host.
func resolveLink(pageURL, target string) (string, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return "", err
	}
	u, err := base.Parse(target)
	if err != nil {
		return "", fmt.Errorf("link %q: %w", target, err)
	}
	if !sameOrigin(u, base) {
		return "", fmt.Errorf("link %q leaves the origin of %s", target, pageURL)
	}
	return u.String(), nil
}

// page is one response of a paged service.
type page struct {
	url    string
	body   []byte
	header http.Header
	next   string // the next page's URL, sticky parameters added; "" on the last
}

// link returns the resolved target of the page's Link with relation rel,
// or "" when there is none.
func (p page) link(rel string) (string, error) {
	target := parseLinks(p.header.Values("Link"))[rel]
	if target == "" {
		return "", nil
	}
	return resolveLink(p.url, target)
}

// withMissingParams returns u with those of params its query lacks added.
func withMissingParams(u string, params url.Values) (string, error) {
	if len(params) == 0 {
		return u, nil
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	q := parsed.Query()
	missing := url.Values{}
	for k, v := range params {
		if !q.Has(k) {
			missing[k] = v
		}
	}
	if len(missing) == 0 {
		return u, nil
	}
	if parsed.RawQuery != "" {
		parsed.RawQuery += "&"
	}
	parsed.RawQuery += missing.Encode()
	return parsed.String(), nil
}

// pages sends c, then GETs each page its Link rel="next" names, as given
// (AGS-PAGE-01, NRPS-05), and yields every page in order. It ends after a
// page without a next link, or with an error: a failed request, or
// CodeBadServiceResponse when a next link leaves the origin or leads back
// to a page already read, or after maxPages pages. Pages are fetched only
// as the caller asks for them.
func (s *service) pages(ctx context.Context, c call) iter.Seq2[page, error] {
	return func(yield func(page, error) bool) {
		limit := s.pageCap
		if limit == 0 {
			limit = maxPages
		}
		seen := make(map[string]bool)
		for n := 1; ; n++ {
			body, header, err := s.do(ctx, c)
			if err != nil {
				yield(page{}, err)
				return
			}
			p := page{url: c.url, body: body, header: header}
			seen[c.url] = true
			next, err := p.link("next")
			if err == nil && next != "" {
				next, err = withMissingParams(next, c.sticky)
			}
			p.next = next
			if err != nil {
				err = badResponse(c.method, c.url, "Link header", err)
			} else if next != "" && seen[next] {
				err = badResponse(c.method, c.url, "Link header", fmt.Errorf("next page %s was read already", next))
			} else if next != "" && n >= limit {
				err = badResponse(c.method, c.url, "Link header", fmt.Errorf("more than %d pages", limit))
			}
			if !yield(p, nil) {
				return
			}
			if err != nil {
				yield(page{}, err)
				return
			}
			if next == "" {
				return
			}
			c.url = next
		}
	}
}
