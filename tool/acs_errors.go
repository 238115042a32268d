package tool

// The codes of a refused Assessment Control request. Like every [Code]
// they never change once released.
const (
	CodeNoAssessmentControl Code = "no_assessment_control" // the launch grants no Assessment Control Service (no acs claim), or lacks what a request names
	CodeControlNotOffered   Code = "control_not_offered"   // the action is not in the acs claim's actions (AP-07)
)

// Sentinels of the Assessment Control client, for errors.Is. Each matches
// any [*Error] with its code.
var (
	ErrNoAssessmentControl = &Error{Code: CodeNoAssessmentControl}
	ErrControlNotOffered   = &Error{Code: CodeControlNotOffered}
)
