import '@mantine/core/styles.css';
import './app.css';
import { createTheme, MantineProvider, type CSSVariablesResolver } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import * as z from 'zod';
import { App } from './app.js';

// The dashboard's CSP forbids eval: keep zod from probing `new Function` for its JIT.
z.config({ jitless: true });

const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: { light: 8 },
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
});

// Mantine's "dimmed" grey is below WCAG AA contrast on white; use a darker one.
const resolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={resolver} defaultColorScheme="light">
      <App />
    </MantineProvider>
  </StrictMode>,
);
