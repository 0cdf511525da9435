/**
 * The console's entry: reads /config.json first (one build serves every deployment), then renders the
 * app; if the file cannot be read it says so on a page of its own instead of a blank screen.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { ConfigLoadError, loadConsoleConfig } from './config';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

function ConfigErrorPage({ message }: { message: string }) {
  return (
    <main className="config-error" id="main">
      <h1>The console cannot start</h1>
      <p>{message}</p>
      <p>Reload the page in a moment; if it stays like this, tell the team that runs this gateway.</p>
      <button type="button" className="button primary" onClick={() => window.location.reload()}>
        Reload
      </button>
    </main>
  );
}

try {
  const config = await loadConsoleConfig();
  root.render(
    <StrictMode>
      <App config={config} />
    </StrictMode>,
  );
} catch (error) {
  const message = error instanceof ConfigLoadError ? error.message : 'Its settings could not be read.';
  root.render(<ConfigErrorPage message={message} />);
}
