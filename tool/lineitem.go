package tool

import "time"

// LineItem is a gradebook column, in the shape of the Assignment and Grade
// Services line item (application/vnd.ims.lis.v2.lineitem+json). The same
// type serves the AGS line-item service and the lineItem property of a
// deep-linking [ResourceLinkItem], where the platform creates the column
// together with the activity.
//
// In a deep-linking item only Label, ScoreMaximum, ResourceID, Tag and
// GradesReleased are meaningful: the platform assigns ID and binds
// ResourceLinkID itself. Times are written and read as RFC 3339.
type LineItem struct {
	ID             string     `json:"id,omitempty"`             // the line item URL; set by the platform
	Label          string     `json:"label,omitempty"`          // column title shown in the gradebook
	ScoreMaximum   float64    `json:"scoreMaximum"`             // required, > 0
	ResourceID     string     `json:"resourceId,omitempty"`     // the tool's own identifier for the graded thing
	ResourceLinkID string     `json:"resourceLinkId,omitempty"` // the resource link the column belongs to
	Tag            string     `json:"tag,omitempty"`            // the tool's qualifier, e.g. "final"
	StartDateTime  *time.Time `json:"startDateTime,omitempty"`  // when submissions open
	EndDateTime    *time.Time `json:"endDateTime,omitempty"`    // when submissions close
	GradesReleased *bool      `json:"gradesReleased,omitempty"` // whether learners see grades; nil leaves it to the platform
}
