// Keeps the session honest without losing work: a warning before the token expires, a re-sign-in
// dialog over the open screen when it has expired (or the API refused it), so a half-typed form
// stays where it is and the request that met the 401 is sent again; and the idle logout.
import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { ApiFailure, localSignIn } from '../api.js';
import { cloudConfig, startCloudSignIn, type CloudConfig } from '../cloud-auth.js';
import { IDLE_WARNING_MS, idleMinutes, SIGNED_OUT_REASON_KEY } from '../idle.js';
import { label, formatTime } from '../labels.js';
import { navigate } from '../router.js';
import { lastActivity, needsRenewal, noteActivity, resetActivityThrottle, signIn, signOut, useRefused, type Session } from '../session.js';

const EXPIRY_WARNING_MS = 5 * 60_000;

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

function ReSignInDialog({ session, early, onCancel }: { session: Session; early: boolean; onCancel: () => void }) {
  const [cloud, setCloud] = useState<CloudConfig | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => void cloudConfig().then(setCloud), []);

  const renew = async () => {
    setBusy(true);
    setFailure(null);
    try {
      if (cloud) {
        // The hosted UI leaves the page: what is typed on it is lost, hence the warning below.
        await startCloudSignIn(cloud);
        return;
      }
      const token = await localSignIn({ role: session.role, email: session.email, ...(session.site ? { site: session.site } : {}) });
      if (!signIn(token)) throw new Error('The token issued could not be read.');
    } catch (err) {
      setFailure(err instanceof ApiFailure ? err.message : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      opened
      onClose={early ? onCancel : () => undefined}
      withCloseButton={early}
      closeButtonProps={{ 'aria-label': 'Close' }}
      closeOnClickOutside={early}
      closeOnEscape={early}
      title={early ? 'Renew your session' : 'Your session has ended'}
      centered
    >
      <Stack gap="sm">
        {failure ? (
          <Alert color="red" role="alert" title="Could not sign in">
            {failure}
          </Alert>
        ) : null}
        <Text size="sm">
          {early
            ? 'Sign in again now to keep working without interruption.'
            : 'Sign in again to carry on. Nothing on this page is lost: what you typed stays, and anything you were sending is sent once you are signed in.'}
        </Text>
        {cloud ? (
          <Text size="sm" c="red.9">
            Signing in again opens the sign-in page; copy anything you typed here first.
          </Text>
        ) : (
          <TextInput label="Signed in as" value={`${session.email} (${label(session.role)})`} readOnly />
        )}
        <Group justify="space-between" gap="xs">
          <Button
            variant="subtle"
            onClick={() => {
              signOut();
              navigate('/sign-in');
            }}
          >
            Sign in as someone else
          </Button>
          <Button data-autofocus loading={busy} onClick={() => void renew()}>
            Sign in again
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function IdleWarning({ secondsLeft, onStay }: { secondsLeft: number; onStay: () => void }) {
  return (
    <Modal opened onClose={onStay} title="Are you still there?" centered closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack gap="sm">
        <Text size="sm" role="timer" aria-live="off">
          For the patients' privacy you will be signed out in {secondsLeft} second{secondsLeft === 1 ? '' : 's'} because of inactivity.
        </Text>
        <Group justify="flex-end">
          <Button data-autofocus onClick={onStay}>
            Stay signed in
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'mousemove'] as const;

export function SessionGuard({ session }: { session: Session }) {
  const now = useNow(1_000);
  const refused = useRefused(session);
  const [renewEarly, setRenewEarly] = useState(false);
  const [idleLimit, setIdleLimit] = useState<number | null>(null);
  const idleWarningShown = useRef(false);

  useEffect(() => {
    void idleMinutes().then((m) => setIdleLimit(m * 60_000));
    noteActivity();
    const onActivity = () => {
      // While the warning is up, only its button counts: a stray mouse move must not dismiss it.
      if (!idleWarningShown.current) noteActivity();
    };
    for (const e of ACTIVITY_EVENTS) window.addEventListener(e, onActivity, { passive: true });
    return () => {
      for (const e of ACTIVITY_EVENTS) window.removeEventListener(e, onActivity);
    };
  }, []);

  const idleFor = now - lastActivity();
  const idleLeft = idleLimit === null ? Infinity : idleLimit - idleFor;
  useEffect(() => {
    if (idleLimit !== null && idleLeft <= 0) {
      sessionStorage.setItem(SIGNED_OUT_REASON_KEY, `You were signed out after ${Math.round(idleLimit / 60_000) || 1} minute${idleLimit === 60_000 ? '' : 's'} without activity, to protect patient information.`);
      signOut();
      navigate('/sign-in');
    }
  }, [idleLimit, idleLeft]);

  const expired = needsRenewal(session, now) || refused;
  const expiresIn = session.expiresAt - now;
  const showIdleWarning = !expired && idleLeft > 0 && idleLeft <= IDLE_WARNING_MS;
  idleWarningShown.current = showIdleWarning;

  return (
    <>
      {!expired && expiresIn <= EXPIRY_WARNING_MS ? (
        <Alert color="yellow" role="status" title="Your session ends soon" data-testid="expiry-warning" mb="sm">
          <Group justify="space-between" gap="xs">
            <Text size="sm">Your session ends at {formatTime(new Date(session.expiresAt).toISOString())}. Sign in again now and nothing you are doing is interrupted.</Text>
            <Button size="xs" onClick={() => setRenewEarly(true)}>
              Renew session
            </Button>
          </Group>
        </Alert>
      ) : null}
      {expired || renewEarly ? <ReSignInDialog session={session} early={!expired} onCancel={() => setRenewEarly(false)} /> : null}
      {showIdleWarning ? (
        <IdleWarning
          secondsLeft={Math.max(1, Math.ceil(idleLeft / 1_000))}
          onStay={() => {
            resetActivityThrottle();
            noteActivity();
            idleWarningShown.current = false;
          }}
        />
      ) : null}
    </>
  );
}
