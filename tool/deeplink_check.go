package tool

import (
	"fmt"
	"math"
	"mime"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Checking content items against the platform's deep-linking settings
// (DL-REQ-02 to DL-REQ-06) and against their own type's rules (DL-CI-*).
// Every item type's check method is below; they share the itemCheck helpers.

// itemCheck collects the first fault of one item.
type itemCheck struct {
	s    *DeepLinkingSettings
	owns func(string) bool // whether a URL is on one of the tool's origins
	item int
	rule string // the item type's DL-CI rule, for faults of its properties
	err  *DeepLinkError
}

// checkItems checks items against s; it returns the first fault.
func checkItems(items []ContentItem, s *DeepLinkingSettings, owns func(string) bool) *DeepLinkError {
	if len(items) > 1 && !s.AcceptMultiple {
		return &DeepLinkError{Code: CodeTooManyItems, Rule: "DL-REQ-05", Item: -1,
			Detail: fmt.Sprintf("%d items, but the platform accepts at most one (accept_multiple is false)", len(items))}
	}
	for i, it := range items {
		if isNilItem(it) {
			return &DeepLinkError{Code: CodeInvalidItem, Rule: "DL-RESP-05", Item: i, Detail: "the item is nil"}
		}
		if !slices.Contains(s.AcceptTypes, it.ItemType()) {
			return &DeepLinkError{Code: CodeItemTypeNotAccepted, Rule: "DL-REQ-02", Item: i, Field: "type",
				Detail: fmt.Sprintf("the platform does not accept %s items; accept_types is %s", quote(it.ItemType()), quoteList(s.AcceptTypes))}
		}
		c := &itemCheck{s: s, owns: owns, item: i}
		if it.check(c); c.err != nil {
			return c.err
		}
	}
	return nil
}

func (it ResourceLinkItem) check(c *itemCheck) {
	c.rule = "DL-CI-RL"
	if it.URL != "" {
		if c.url("url", it.URL) && !c.owns(it.URL) {
			c.fail("url", "%s is not on the tool's origin (Config.BaseURL or TargetLinkOrigins): the tool's login would refuse its launches", quote(it.URL))
		}
	}
	c.image("icon", it.Icon)
	c.image("thumbnail", it.Thumbnail)
	if it.Window != nil {
		c.target("window", "window")
		c.size("window", it.Window.Width, it.Window.Height)
	}
	if it.Iframe != nil {
		c.target("iframe", "iframe")
		c.size("iframe", it.Iframe.Width, it.Iframe.Height)
		if it.Iframe.Src != "" {
			c.fail("iframe.src", "a resource link's iframe has no src: the platform launches the link's url")
		}
	}
	if _, ok := it.Custom[""]; ok {
		c.fail("custom", "empty custom parameter name")
	}
	c.lineItem(it.LineItem)
	c.timeWindow("available", it.Available)
	c.timeWindow("submission", it.Submission)
}

func (it LinkItem) check(c *itemCheck) {
	c.rule = "DL-CI-LINK"
	c.url("url", it.URL)
	c.image("icon", it.Icon)
	c.image("thumbnail", it.Thumbnail)
	if it.Embed != nil {
		c.target("embed", "embed")
		if strings.TrimSpace(it.Embed.HTML) == "" {
			c.fail("embed.html", "embed needs html")
		}
	}
	if it.Window != nil {
		c.target("window", "window")
		c.size("window", it.Window.Width, it.Window.Height)
	}
	if it.Iframe != nil {
		c.target("iframe", "iframe")
		c.size("iframe", it.Iframe.Width, it.Iframe.Height)
		c.url("iframe.src", it.Iframe.Src)
	}
}

func (it FileItem) check(c *itemCheck) {
	c.rule = "DL-CI-FILE"
	c.url("url", it.URL)
	c.image("icon", it.Icon)
	c.image("thumbnail", it.Thumbnail)
	if it.MediaType != "" {
		if _, _, err := mime.ParseMediaType(it.MediaType); err != nil {
			c.fail("mediaType", "%s is not a media type", quote(it.MediaType))
			return
		}
	}
	if accept := c.s.AcceptMediaTypes; len(accept) > 0 && !mediaTypeAccepted(it.MediaType, accept) {
		detail := fmt.Sprintf("the platform accepts only the media types %s", quoteList(accept))
		if it.MediaType == "" {
			detail += "; set MediaType"
		}
		c.add(CodeMediaTypeNotAccepted, "DL-REQ-04", "mediaType", detail)
	}
}

func (it HTMLItem) check(c *itemCheck) {
	c.rule = "DL-CI-HTML"
	if strings.TrimSpace(it.HTML) == "" {
		c.fail("html", "an html item needs html")
	}
}

func (it ImageItem) check(c *itemCheck) {
	c.rule = "DL-CI-IMG"
	c.url("url", it.URL)
	c.image("icon", it.Icon)
	c.image("thumbnail", it.Thumbnail)
	c.size("", it.Width, it.Height)
}

func (it CustomItem) check(c *itemCheck) {
	c.rule = "DL-CI-EXT"
	u, err := url.Parse(it.Type)
	if err != nil || u.Scheme == "" || u.Host == "" || isStandardType(it.Type) {
		c.fail("type", "an extension item's type must be a fully qualified URL, not %s", quote(it.Type))
	}
}

// add records a fault, unless one is recorded already.
func (c *itemCheck) add(code Code, rule, field, detail string) {
	if c.err == nil {
		c.err = &DeepLinkError{Code: code, Rule: rule, Item: c.item, Field: field, Detail: detail}
	}
}

// fail records a breach of the item type's own rule (CodeInvalidItem).
func (c *itemCheck) fail(field, format string, args ...any) {
	c.add(CodeInvalidItem, c.rule, field, fmt.Sprintf(format, args...))
}

// url checks that s, a required property, is an absolute http(s) URL and
// reports whether it is.
func (c *itemCheck) url(field, s string) bool {
	if s == "" {
		c.fail(field, "%s is required", field)
		return false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		c.fail(field, "%s is not an absolute http(s) URL", quote(s))
		return false
	}
	return true
}

func (c *itemCheck) image(field string, img *Image) {
	if img != nil {
		c.url(field+".url", img.URL)
		c.size(field, img.Width, img.Height)
	}
}

func (c *itemCheck) size(field string, width, height int) {
	if width < 0 || height < 0 {
		c.fail(strings.TrimPrefix(field+".width", "."), "negative size %dx%d", width, height)
	}
}

// target checks that the platform accepts the presentation target.
func (c *itemCheck) target(field, target string) {
	if !slices.Contains(c.s.AcceptPresentationDocumentTargets, target) {
		c.add(CodeTargetNotAccepted, "DL-REQ-03", field, fmt.Sprintf("the platform does not accept the %s presentation; accept_presentation_document_targets is %s",
			quote(target), quoteList(c.s.AcceptPresentationDocumentTargets)))
	}
}

// lineItem checks a resource link's lineItem (DL-CI-RL, DL-REQ-06).
func (c *itemCheck) lineItem(li *LineItem) {
	switch {
	case li == nil:
	case c.s.AcceptLineItem != nil && !*c.s.AcceptLineItem:
		c.add(CodeLineItemNotAccepted, "DL-REQ-06", "lineItem", "the platform ignores line items (accept_lineitem is false): no gradebook column would be created")
	case !(li.ScoreMaximum > 0) || math.IsInf(li.ScoreMaximum, 0):
		c.fail("lineItem.scoreMaximum", "scoreMaximum must be a number above 0, not %v", li.ScoreMaximum)
	case li.ID != "" || li.ResourceLinkID != "":
		c.fail("lineItem", "id and resourceLinkId are set by the platform when it creates the line item")
	case li.StartDateTime != nil || li.EndDateTime != nil:
		c.fail("lineItem", "a deep-linked line item has no dates: set the item's Submission window instead")
	}
}

func (c *itemCheck) timeWindow(field string, w *TimeWindow) {
	if w != nil && w.StartDateTime != nil && w.EndDateTime != nil && w.EndDateTime.Before(*w.StartDateTime) {
		c.fail(field, "endDateTime %s is before startDateTime %s", w.EndDateTime.Format(time.RFC3339), w.StartDateTime.Format(time.RFC3339))
	}
}

// isNilItem reports whether it is nil or a nil pointer to an item, whose
// methods would panic.
func isNilItem(it ContentItem) bool {
	if it == nil {
		return true
	}
	v := reflect.ValueOf(it)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// mediaTypeAccepted reports whether mt matches one of accept, which may hold
// wildcards such as "image/*" and "*/*". Parameters are ignored.
func mediaTypeAccepted(mt string, accept []string) bool {
	got, _, err := mime.ParseMediaType(mt)
	if err != nil {
		return false
	}
	for _, a := range accept {
		want, _, err := mime.ParseMediaType(a)
		if err != nil {
			continue
		}
		if want == "*/*" || want == got || (strings.HasSuffix(want, "/*") && strings.HasPrefix(got, want[:len(want)-1])) {
			return true
		}
	}
	return false
}

func isStandardType(t string) bool {
	switch t {
	case TypeResourceLink, TypeLink, TypeFile, TypeHTML, TypeImage:
		return true
	}
	return false
}
