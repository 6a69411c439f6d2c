/**
 * A share link opened in a tab that is already open (pasted into the address bar, or a link to
 * this page followed): its settings replace the form's, as a reload would. A run in progress
 * is not dropped silently: the link waits in `useLinkPrompt` until the user discards the run
 * or keeps it (and with it the settings it runs under).
 */
import { create } from 'zustand';
import { currentExperimentLink, fillFormFromLink } from './experiment-form';
import { resetRun } from './run-actions';
import { useAppStore } from './store';
import type { DecodedHash } from './url-codec';
import { writeUrlState } from './url-sync';

export const useLinkPrompt = create<{ pending: DecodedHash | null }>(() => ({ pending: null }));

function runInProgress(): boolean {
  const { status } = useAppStore.getState().run;
  return status === 'training' || status === 'paused' || status === 'loading';
}

function applyLink(link: DecodedHash): void {
  useAppStore.getState().replaceConfig(link.config, link.notices);
  fillFormFromLink(link.experiment);
}

/** What a new hash does: loads its settings now, or asks first when a run would be lost. */
export function openLink(link: DecodedHash): void {
  if (runInProgress()) useLinkPrompt.setState({ pending: link });
  else applyLink(link);
}

/** The user's answer: discard the run and load the link, or keep the run and drop the link. */
export async function answerLink(discardRun: boolean): Promise<void> {
  const link = useLinkPrompt.getState().pending;
  useLinkPrompt.setState({ pending: null });
  if (!link) return;
  if (discardRun) {
    await resetRun();
    applyLink(link);
  } else {
    // The address bar shows the link until the next edit; put back the settings still in use.
    writeUrlState(useAppStore.getState().config, currentExperimentLink());
  }
}
