import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { startEstimates } from './state/estimate-sync';
import { currentExperimentLink, fillFormFromLink, useExperimentForm } from './state/experiment-form';
import { openLink } from './state/link-open';
import { debugHooks, recovery, saveRunNow } from './state/run-actions';
import { useAppStore } from './state/store';
import { onUrlStateChange, readUrlState, startUrlSync, writeUrlState } from './state/url-sync';
import { App } from './ui/App';
import { prepareCanvasDrawing } from './ui/cpu-canvas';
import './ui/styles.css';
import './ui/components.css';

// The URL is read once, before the first render: defaults -> preset -> URL. Its experiment
// keys fill the Experiment panel's form (they never start it).
const fromUrl = readUrlState();
useAppStore.getState().replaceConfig(fromUrl.config, fromUrl.notices);
fillFormFromLink(fromUrl.experiment);
writeUrlState(fromUrl.config, currentExperimentLink());
startUrlSync((listener) => {
  const emit = () => listener(useAppStore.getState().config, currentExperimentLink());
  const stopConfig = useAppStore.subscribe((s) => s.config, emit);
  const stopForm = useExperimentForm.subscribe(emit);
  return () => {
    stopConfig();
    stopForm();
  };
});
// A link pasted into this open tab loads like a fresh one (asking first if a run would be lost).
onUrlStateChange(openLink);

// The estimate before Start follows the settings and the backend.
startEstimates();

// Save the run when the page is hidden (tab switch, minimised, about to unload) and when it
// goes: the worker's 20-second checkpoints are the guarantee, this narrows the gap when the
// browser lets the worker finish (it often does not on a reload or a closed tab).
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') saveRunNow();
});
addEventListener('pagehide', saveRunNow);

// The supervisor notices a run that stops making steps (a hung or closed worker) and restarts it.
recovery.supervise();

// Test hooks (GPU counters, fault injection), only when asked for: #...&debug=1 is not needed,
// a query flag keeps them out of share links.
if (new URLSearchParams(location.search).has('testhooks')) {
  Object.assign(window, { __kd: { store: useAppStore, ...debugHooks } });
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
prepareCanvasDrawing();
