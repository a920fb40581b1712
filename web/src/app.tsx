// The shell: header with the navigation for the signed-in role, a skip link, and the screens.
import { Anchor, Box, Button, Container, Group, Paper, Text } from '@mantine/core';
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import type { Role } from '../../functions/domain/vocabulary.js';
import { requireSignIn } from './api.js';
import { ErrorBoundary } from './components/error-boundary.js';
import { SessionGuard } from './components/session-guard.js';
import { Page } from './components/page.js';
import { PageSkeleton } from './components/loading.js';
import { label } from './labels.js';
import { AuditPage } from './pages/audit.js';
import { BoardPage } from './pages/board.js';
import { PatientPage } from './pages/patient.js';
import { ReferralFormPage } from './pages/referral-form.js';
import { homeOf, SignInPage } from './pages/sign-in.js';
import { WaitingPage } from './pages/waiting.js';
import { MyWorkPage } from './pages/my-work.js';
import { ReferrerHomePage, ReferrerPatientPage } from './pages/referrer.js';
import { Link, navigate, usePath } from './router.js';
import { signOut, useSession, type Session } from './session.js';

// Recharts is only needed by administrators: load it with their screen.
const AnalyticsPage = lazy(async () => ({ default: (await import('./pages/analytics.js')).AnalyticsPage }));
const ServiceLevelsPage = lazy(async () => ({ default: (await import('./pages/service-levels.js')).ServiceLevelsPage }));

const NAV: Record<Role, readonly { to: string; text: string }[]> = {
  coordinator: [
    { to: '/board', text: 'Board' },
    { to: '/my-work', text: 'My work' },
    { to: '/waiting', text: 'Waiting on me' },
    { to: '/referrals/new', text: 'New referral' },
  ],
  physician: [
    { to: '/waiting', text: 'Waiting on me' },
    { to: '/my-work', text: 'My work' },
    { to: '/board', text: 'Board' },
    { to: '/referrals/new', text: 'New referral' },
  ],
  administrator: [
    { to: '/analytics', text: 'Analytics' },
    { to: '/service-levels', text: 'Service levels' },
    { to: '/audit', text: 'Audit trail' },
  ],
  referrer: [
    { to: '/referrer', text: 'My referrals' },
    { to: '/referrals/new', text: 'New referral' },
  ],
};

interface Screen {
  readonly roles: readonly Role[];
  readonly render: () => ReactNode;
}

function screenFor(path: string, session: Session): Screen | null {
  const patient = /^\/patients\/([0-9A-Z]{26})\/?$/.exec(path);
  if (patient) return { roles: ['coordinator', 'physician'], render: () => <PatientPage key={patient[1]} patientId={patient[1] as string} session={session} /> };
  const referred = /^\/referrer\/patients\/([0-9A-Z]{26})\/?$/.exec(path);
  if (referred) return { roles: ['referrer'], render: () => <ReferrerPatientPage key={referred[1]} patientId={referred[1] as string} /> };
  switch (path.replace(/\/$/, '') || '/') {
    case '/board':
    case '/patients':
      return { roles: ['coordinator', 'physician'], render: () => <BoardPage session={session} /> };
    case '/referrals/new':
      return { roles: ['coordinator', 'physician', 'referrer'], render: () => <ReferralFormPage /> }; // referrers refer
    case '/my-work':
      return { roles: ['coordinator', 'physician'], render: () => <MyWorkPage session={session} /> };
    case '/referrer':
      return { roles: ['referrer'], render: () => <ReferrerHomePage /> };
    case '/waiting':
      return { roles: ['coordinator', 'physician'], render: () => <WaitingPage session={session} /> };
    case '/analytics':
      return { roles: ['administrator'], render: () => <AnalyticsPage /> };
    case '/service-levels':
      return { roles: ['administrator'], render: () => <ServiceLevelsPage /> };
    case '/audit':
      return { roles: ['administrator'], render: () => <AuditPage /> };
    default:
      return null;
  }
}

function Header({ session, path }: { session: Session; path: string }) {
  return (
    <Paper component="header" radius={0} shadow="xs" withBorder py={8} style={{ borderTop: 0, borderLeft: 0, borderRight: 0 }}>
      <Container size="xl">
        <Group justify="space-between" gap="xs" wrap="wrap">
          <Group gap="lg" wrap="wrap">
            <Anchor
              href={homeOf(session)}
              onClick={(e) => {
                e.preventDefault();
                navigate(homeOf(session));
              }}
              fw={700}
              c="blue.9"
              underline="never"
            >
              CSF Leak Pathway
            </Anchor>
            <Group component="nav" aria-label="Main" gap={4}>
              {NAV[session.role].map((n) => {
                const current = path === n.to || (n.to === '/board' && path.startsWith('/patients/'));
                return (
                  <Link
                    key={n.to}
                    to={n.to}
                    aria-current={path === n.to ? 'page' : undefined}
                    px={10}
                    py={6}
                    fw={current ? 700 : 500}
                    c={current ? 'blue.9' : 'dark.6'}
                    bg={current ? 'blue.0' : undefined}
                    style={{ borderRadius: 6 }}
                    underline="never"
                  >
                    {n.text}
                  </Link>
                );
              })}
            </Group>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" c="dark.5" data-testid="signed-in-as">
              {session.email} · {label(session.role)}
              {session.site ? ` · ${label(session.site)}` : ''}
            </Text>
            <Button
              size="xs"
              variant="default"
              onClick={() => {
                signOut();
                navigate('/sign-in');
              }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </Container>
    </Paper>
  );
}

export function App() {
  const path = usePath();
  const session = useSession();

  useEffect(() => {
    if (!session && path !== '/sign-in') requireSignIn();
    else if (session && (path === '/' || path === '/sign-in')) navigate(homeOf(session), { replace: true });
  }, [session, path]);

  if (!session || path === '/sign-in') return <SignInPage />;
  const screen = screenFor(path, session);

  return (
    <>
      <Anchor
        href="#main"
        className="skip-link"
        onClick={(e) => {
          e.preventDefault();
          document.querySelector<HTMLElement>('#main h1')?.focus();
        }}
      >
        Skip to content
      </Anchor>
      <Header session={session} path={path} />
      <Box component="main" id="main" py="md">
        <Container size="xl">
          <SessionGuard key={session.token} session={session} />
          {!screen ? (
            <Page title="Page not found" documentTitle="Not found">
              <Text>
                There is no page at this address. <Link to={homeOf(session)}>Go to your start page</Link>.
              </Text>
            </Page>
          ) : !screen.roles.includes(session.role) ? (
            <Page title="Not available" documentTitle="Not available">
              <Text>
                This page is for {screen.roles.map((r) => `${r}s`).join(' and ')}; you are signed in as {session.role === 'administrator' ? 'an' : 'a'} {session.role}.{' '}
                <Link to={homeOf(session)}>Go to your start page</Link>.
              </Text>
            </Page>
          ) : (
            <ErrorBoundary key={path}>
              <Suspense fallback={<PageSkeleton />}>{screen.render()}</Suspense>
            </ErrorBoundary>
          )}
        </Container>
      </Box>
    </>
  );
}
