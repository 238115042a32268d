package sim

import (
	"context"
	"log/slog"

	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/tool"
)

// scoreMaximum is what every attempt is graded out of: its accuracy in
// percent.
const scoreMaximum = 100

// notGraded says why the attempts of launch l send no grade, or "" when
// they do: a learner's launch with the grade service.
func notGraded(l *tool.Launch) string {
	switch {
	case l.AGS == nil:
		return "This activity sends no grade: the LMS granted it no grade service."
	case l.Anonymous():
		return "This launch is anonymous: there is no one to grade."
	case !l.Roles.IsLearner():
		return "Preview: attempts are graded for learners only."
	}
	return ""
}

// sendGrade hands a finished attempt's score to the outbox, Completed and
// FullyGraded as Moodle needs to record it, and says what became of it.
// The outbox stores it and delivers it in the background, retrying while
// the LMS is slow or down, and stamps every score of a learner at least a
// second after the previous one, so that Moodle, which compares whole
// seconds, keeps the latest attempt. retry reports a failure to store it,
// after which the same attempt may be sent again.
func (a *App) sendGrade(ctx context.Context, l *tool.Launch, res attemptResponse) (sent, retry bool, msg string) {
	if why := notGraded(l); why != "" {
		return false, false, why
	}
	err := a.scores.Post(ctx, l, tool.Grade{
		ScoreGiven: res.ScoreGiven, ScoreMaximum: scoreMaximum, Comment: res.Comment,
		ActivityProgress: tool.ActivityCompleted, GradingProgress: tool.GradingFullyGraded,
	})
	if err != nil {
		a.logger.LogAttrs(ctx, slog.LevelError, "sim: grade not saved", slog.String("sub", l.Subject), slog.Any("err", err))
		return false, true, "Your grade could not be saved. Send it again in a moment."
	}
	return true, false, "Your grade is on its way to the LMS's gradebook. Try again to improve it: the LMS keeps your latest attempt."
}

// gradeFailed logs a grade the LMS refused for good: the instructor's
// page, which reads the results back from the LMS, shows it missing.
func (a *App) gradeFailed(f outbox.Failure) {
	a.logger.LogAttrs(context.Background(), slog.LevelError, "sim: the LMS refused a grade",
		slog.String("issuer", f.Delivery.Issuer), slog.String("sub", f.Delivery.Score.UserID),
		slog.Int("attempts", f.Attempts), slog.String("code", string(tool.CodeOf(f.Err))), slog.Any("err", f.Err))
}
