import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { useAppStore } from './state/store';
import { readUrlState, startUrlSync, writeUrlState } from './state/url-sync';
import { App } from './ui/App';
import { debugHooks } from './worker/client';
import './ui/styles.css';
import './ui/components.css';

// The URL is read once, before the first render: defaults -> preset -> URL.
const fromUrl = readUrlState();
useAppStore.getState().replaceConfig(fromUrl.config, fromUrl.notices);
writeUrlState(fromUrl.config);
startUrlSync((listener) => useAppStore.subscribe((s) => s.config, listener));

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
