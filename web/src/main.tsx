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

// WCAG AA (4.5:1) for text: Mantine's "dimmed" grey, its error red (red.6, 3.3:1) and the text
// of light badges and alerts (shade 6, about 3.6:1) are too pale on white; use darker shades.
// Each at least 5:1 on its own light fill (measured by axe in the browser tests).
const PALE_TEXT: Record<string, string> = { yellow: '#5c4200', orange: '#8a3a00', lime: '#3b5200', green: '#1b5e2a', teal: '#05614a', cyan: '#0a5c6b', blue: '#14548f' };
const LIGHT_COLORS = ['blue', 'green', 'teal', 'gray', 'red', 'grape', 'cyan', 'violet', 'indigo', 'pink', 'dark', 'yellow', 'orange', 'lime'];
const resolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
    ...Object.fromEntries(LIGHT_COLORS.map((c) => [`--mantine-color-${c}-light-color`, PALE_TEXT[c] ?? `var(--mantine-color-${c}-9)`])),
    ...Object.fromEntries(LIGHT_COLORS.map((c) => [`--mantine-color-${c}-outline`, PALE_TEXT[c] ?? `var(--mantine-color-${c}-9)`])),
  },
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
