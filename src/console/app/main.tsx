import { render } from 'preact';
import { App } from './App';
import { SessionProvider } from './session';
import './styles.css';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
render(
  <SessionProvider>
    <App />
  </SessionProvider>,
  root,
);
