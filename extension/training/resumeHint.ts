// How a user continues a stopped or failed run, in the one wording every message uses: the
// curves panel's status line, the notices when a run stops or fails, a reload's warning.
// (No vscode import: the UI suites read it too.)

/** The panel's Resume button and the command palette's command (package.json: resnetLab.resumeTraining). */
export const RESUME_HINT = 'Resume in the curves panel, or "ResNet Lab: Resume Training", continues the run from its checkpoints';
