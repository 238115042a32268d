package tool

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// ContentItem is one item of a deep-linking response: a [ResourceLinkItem],
// [LinkItem], [FileItem], [HTMLItem], [ImageItem], or a [CustomItem] of an
// extension type. Items are plain values; build them with struct literals.
// [DeepLinkResponse] checks them against the platform's settings before
// signing.
//
// The standard types (all but CustomItem) take extension properties in
// Extra: keys SHOULD be fully qualified URLs (DL-CI-EXT), and a key may not
// replace one of the item's standard properties.
type ContentItem interface {
	// ItemType is the item's type property, such as "ltiResourceLink".
	ItemType() string
	// MarshalJSON encodes the item as it goes into the content_items claim.
	MarshalJSON() ([]byte, error)

	check(c *itemCheck) // reports the item's faults; sealed to this package
}

// The content item types of Deep Linking 2.0 (DL-CI-*), the values of
// accept_types.
const (
	TypeResourceLink = "ltiResourceLink"
	TypeLink         = "link"
	TypeFile         = "file"
	TypeHTML         = "html"
	TypeImage        = "image"
)

// Image is an icon or a thumbnail of an item: a URL and, optionally, its
// size in pixels.
type Image struct {
	URL    string `json:"url"` // required; absolute http(s) URL
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
}

// Window asks the platform to open the item in a new window or tab
// (presentation target "window").
type Window struct {
	TargetName     string `json:"targetName,omitempty"`     // the window's name, such as "_blank"
	Width          int    `json:"width,omitempty"`          // pixels
	Height         int    `json:"height,omitempty"`         // pixels
	WindowFeatures string `json:"windowFeatures,omitempty"` // window.open features, such as "menubar=no"
}

// Iframe asks the platform to show the item in an iframe (presentation
// target "iframe").
type Iframe struct {
	// Src is the URL the iframe loads. Required for a LinkItem (it may
	// differ from the item's URL); must be empty for a ResourceLinkItem,
	// which the platform launches instead.
	Src    string `json:"src,omitempty"`
	Width  int    `json:"width,omitempty"`  // pixels
	Height int    `json:"height,omitempty"` // pixels
}

// Embed asks the platform to embed HTML that renders the item (presentation
// target "embed"), such as a video player.
type Embed struct {
	HTML string `json:"html"` // required; the platform sanitises it
}

// TimeWindow is when a resource link is available, or accepts
// submissions. Either end may be nil for an open end.
type TimeWindow struct {
	StartDateTime *time.Time `json:"startDateTime,omitempty"`
	EndDateTime   *time.Time `json:"endDateTime,omitempty"`
}

// ResourceLinkItem is an LTI resource link (type "ltiResourceLink",
// DL-CI-RL): the platform creates an activity that launches the tool, with
// a gradebook column when LineItem is set. It is the only type Moodle turns
// into an activity.
type ResourceLinkItem struct {
	// URL is the launch URL, the target_link_uri of later launches. It must
	// be on the tool's BaseURL origin or one of Config.TargetLinkOrigins,
	// since the tool's login refuses any other. Empty: the tool's default
	// launch URL as registered with the platform.
	URL   string
	Title string // the activity's name
	Text  string // plain-text description
	Icon  *Image
	// Thumbnail is a larger image of the activity.
	Thumbnail *Image
	// Window and Iframe say how the platform should open the link; each
	// needs its target in accept_presentation_document_targets. An Iframe
	// has no Src here. Moodle prefers iframe when both are set.
	Window *Window
	Iframe *Iframe
	// Custom parameters are sent in every launch of the link; values may
	// hold substitution variables such as "$Context.title".
	Custom map[string]string
	// LineItem asks the platform to create a gradebook column for the link:
	// ScoreMaximum (> 0) is required; Label defaults to Title; ResourceID,
	// Tag and GradesReleased are optional. ID, ResourceLinkID and the
	// start and end times must stay empty: the platform sets the first two,
	// and Submission holds the submission window.
	LineItem *LineItem
	// Available is when learners may launch the link; Submission is when
	// they may submit.
	Available  *TimeWindow
	Submission *TimeWindow
	// Extra holds extension properties, keyed by fully qualified URLs.
	Extra map[string]any
}

// LinkItem is a link to a web page (type "link", DL-CI-LINK). The platform
// opens it in a new window unless Embed, Window or Iframe says otherwise;
// the tool SHOULD set every presentation the page supports.
type LinkItem struct {
	URL       string // required; absolute http(s) URL
	Title     string
	Text      string
	Icon      *Image
	Thumbnail *Image
	Embed     *Embed
	Window    *Window
	Iframe    *Iframe // Src required
	Extra     map[string]any
}

// FileItem is a file the platform downloads (type "file", DL-CI-FILE). The
// URL may be short-lived: the platform fetches it within minutes.
type FileItem struct {
	URL       string // required; absolute http(s) URL
	Title     string
	Text      string
	Icon      *Image
	Thumbnail *Image
	// MediaType is the file's MIME type, such as "application/pdf". It is
	// required when the platform restricts accept_media_types.
	MediaType string
	// ExpiresAt is when URL stops working; nil when it does not.
	ExpiresAt *time.Time
	Extra     map[string]any
}

// HTMLItem is an HTML fragment the platform embeds (type "html",
// DL-CI-HTML), after sanitising it. For a fragment that renders one
// addressable resource, prefer a LinkItem with Embed.
type HTMLItem struct {
	HTML  string // required
	Title string
	Text  string
	Extra map[string]any
}

// ImageItem is an image the platform shows directly (type "image",
// DL-CI-IMG).
type ImageItem struct {
	URL       string // required; absolute http(s) URL
	Title     string
	Text      string
	Icon      *Image
	Thumbnail *Image
	Width     int // pixels
	Height    int // pixels
	Extra     map[string]any
}

// CustomItem is an item of an extension type (DL-CI-EXT), for platforms
// that define their own. Type must be a fully qualified URL and listed in
// the platform's accept_types.
type CustomItem struct {
	Type string
	// Properties are the item's other properties, encoded with
	// encoding/json; "type" may not be one of them.
	Properties map[string]any
}

// ItemType implements ContentItem.
func (ResourceLinkItem) ItemType() string { return TypeResourceLink }

// ItemType implements ContentItem.
func (LinkItem) ItemType() string { return TypeLink }

// ItemType implements ContentItem.
func (FileItem) ItemType() string { return TypeFile }

// ItemType implements ContentItem.
func (HTMLItem) ItemType() string { return TypeHTML }

// ItemType implements ContentItem.
func (ImageItem) ItemType() string { return TypeImage }

// ItemType implements ContentItem.
func (c CustomItem) ItemType() string { return c.Type }

// MarshalJSON implements ContentItem. An empty LineItem.Label is sent as
// the item's Title, the spec's default made explicit.
func (it ResourceLinkItem) MarshalJSON() ([]byte, error) {
	li := it.LineItem
	if li != nil && li.Label == "" && it.Title != "" {
		c := *li
		c.Label = it.Title
		li = &c
	}
	return withExtra(struct {
		Type       string            `json:"type"`
		URL        string            `json:"url,omitempty"`
		Title      string            `json:"title,omitempty"`
		Text       string            `json:"text,omitempty"`
		Icon       *Image            `json:"icon,omitempty"`
		Thumbnail  *Image            `json:"thumbnail,omitempty"`
		Window     *Window           `json:"window,omitempty"`
		Iframe     *Iframe           `json:"iframe,omitempty"`
		Custom     map[string]string `json:"custom,omitempty"`
		LineItem   *LineItem         `json:"lineItem,omitempty"`
		Available  *TimeWindow       `json:"available,omitempty"`
		Submission *TimeWindow       `json:"submission,omitempty"`
	}{TypeResourceLink, it.URL, it.Title, it.Text, it.Icon, it.Thumbnail, it.Window, it.Iframe,
		it.Custom, li, it.Available, it.Submission}, it.Extra)
}

// MarshalJSON implements ContentItem.
func (it LinkItem) MarshalJSON() ([]byte, error) {
	return withExtra(struct {
		Type      string  `json:"type"`
		URL       string  `json:"url"`
		Title     string  `json:"title,omitempty"`
		Text      string  `json:"text,omitempty"`
		Icon      *Image  `json:"icon,omitempty"`
		Thumbnail *Image  `json:"thumbnail,omitempty"`
		Embed     *Embed  `json:"embed,omitempty"`
		Window    *Window `json:"window,omitempty"`
		Iframe    *Iframe `json:"iframe,omitempty"`
	}{TypeLink, it.URL, it.Title, it.Text, it.Icon, it.Thumbnail, it.Embed, it.Window, it.Iframe}, it.Extra)
}

// MarshalJSON implements ContentItem.
func (it FileItem) MarshalJSON() ([]byte, error) {
	return withExtra(struct {
		Type      string     `json:"type"`
		URL       string     `json:"url"`
		Title     string     `json:"title,omitempty"`
		Text      string     `json:"text,omitempty"`
		Icon      *Image     `json:"icon,omitempty"`
		Thumbnail *Image     `json:"thumbnail,omitempty"`
		MediaType string     `json:"mediaType,omitempty"`
		ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	}{TypeFile, it.URL, it.Title, it.Text, it.Icon, it.Thumbnail, it.MediaType, it.ExpiresAt}, it.Extra)
}

// MarshalJSON implements ContentItem.
func (it HTMLItem) MarshalJSON() ([]byte, error) {
	return withExtra(struct {
		Type  string `json:"type"`
		HTML  string `json:"html"`
		Title string `json:"title,omitempty"`
		Text  string `json:"text,omitempty"`
	}{TypeHTML, it.HTML, it.Title, it.Text}, it.Extra)
}

// MarshalJSON implements ContentItem.
func (it ImageItem) MarshalJSON() ([]byte, error) {
	return withExtra(struct {
		Type      string `json:"type"`
		URL       string `json:"url"`
		Title     string `json:"title,omitempty"`
		Text      string `json:"text,omitempty"`
		Icon      *Image `json:"icon,omitempty"`
		Thumbnail *Image `json:"thumbnail,omitempty"`
		Width     int    `json:"width,omitempty"`
		Height    int    `json:"height,omitempty"`
	}{TypeImage, it.URL, it.Title, it.Text, it.Icon, it.Thumbnail, it.Width, it.Height}, it.Extra)
}

// MarshalJSON implements ContentItem.
func (c CustomItem) MarshalJSON() ([]byte, error) {
	return withExtra(struct {
		Type string `json:"type"`
	}{c.Type}, c.Properties)
}

// withExtra encodes v, a struct, and adds the extra properties to the
// object. An extra key naming one of v's properties is an error, even when
// the property is empty: it would replace a standard property.
func withExtra(v any, extra map[string]any) ([]byte, error) {
	b, err := marshalNoEscape(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, err
	}
	st := reflect.TypeOf(v)
	for k, x := range extra {
		for i := range st.NumField() {
			if name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ","); name == k {
				return nil, &extraKeyError{key: k}
			}
		}
		if obj[k], err = marshalNoEscape(x); err != nil {
			return nil, &extraKeyError{key: k, err: err}
		}
	}
	return marshalNoEscape(obj)
}

// extraKeyError is an extension property that cannot be encoded.
type extraKeyError struct {
	key string
	err error
}

func (e *extraKeyError) Error() string {
	if e.err != nil {
		return "extension property " + quote(e.key) + ": " + e.err.Error()
	}
	return "extension property " + quote(e.key) + " would replace a standard property"
}

func (e *extraKeyError) Unwrap() error { return e.err }
