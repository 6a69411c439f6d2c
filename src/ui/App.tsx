import { useEffect } from 'react';
import { initBackend } from '../state/run-actions';
import { TrainingCharts } from './charts/TrainingCharts';
import { LossWeights } from './controls/LossWeights';
import { RunAtScale } from './controls/RunAtScale';
import { RunControls } from './controls/RunControls';
import { SettingsPanel } from './controls/SettingsPanel';
import { ShareAndKeep } from './controls/ShareAndKeep';
import { ImageDrop } from './drop/ImageDrop';
import { ExperimentPanel } from './experiment/ExperimentPanel';
import { LinkPrompt } from './feedback/LinkPrompt';
import { Toasts } from './feedback/Toasts';
import { UrlNotices } from './feedback/UrlNotices';
import { RelationMaps } from './maps/RelationMaps';
import { BackendBadge } from './runtime/BackendBadge';
import { SelfTestReport } from './runtime/SelfTestReport';
import { StatusBadge } from './runtime/StatusBadge';

export function App() {
  useEffect(() => {
    void initBackend();
  }, []);

  return (
    <div className="app">
      <header className="app-header">
        <div>
          <h1>Manifold distillation playground</h1>
          <p className="tagline">
            A teacher ViT, a smaller student, and how each one relates the patches of an image, trained on
            your GPU.
          </p>
        </div>
        <div className="header-badges">
          <StatusBadge />
          <BackendBadge />
        </div>
      </header>
      <UrlNotices />
      <LinkPrompt />
      <main className="layout">
        <div className="column controls-column">
          <RunControls />
          <ShareAndKeep />
          <LossWeights />
          <SettingsPanel />
          <RunAtScale />
        </div>
        <div className="column results-column">
          <TrainingCharts />
          <RelationMaps />
          <ImageDrop />
          <ExperimentPanel />
          <SelfTestReport />
        </div>
      </main>
      <Toasts />
    </div>
  );
}
