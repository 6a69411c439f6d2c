import { answerLink, useLinkPrompt } from '../../state/link-open';

/** Asks what to do with a share link opened while a run is in progress. */
export function LinkPrompt() {
  const pending = useLinkPrompt((s) => s.pending);
  if (!pending) return null;
  return (
    <div
      className="panel notice"
      role="alertdialog"
      aria-labelledby="link-prompt-text"
      data-testid="link-prompt"
    >
      <p id="link-prompt-text">
        <strong>A new share link was opened while a run is in progress.</strong> Loading its settings discards
        the run; keeping the run leaves the link unused.
      </p>
      <button type="button" onClick={() => void answerLink(true)}>
        Discard the run and load the link
      </button>{' '}
      <button type="button" onClick={() => void answerLink(false)}>
        Keep the run
      </button>
    </div>
  );
}
