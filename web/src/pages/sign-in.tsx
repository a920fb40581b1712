// Local sign-in: the local stack issues a token for the chosen role, email and site. In the
// cloud this screen is replaced by the Cognito hosted UI, which returns the same claims.
import { Alert, Button, Center, NativeSelect, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { NEURORADIOLOGY_SITES, ROLES, type Role } from '../../../functions/domain/vocabulary.js';
import { ApiFailure, localSignIn, takeReturnPath, type Issue } from '../api.js';
import { cloudConfig, completeCloudSignIn, startCloudSignIn, type CloudConfig } from '../cloud-auth.js';
import { fieldId } from '../components/error-summary.js';
import { fieldErrors, fieldMessage } from '../form-issues.js';
import { takeSignedOutReason } from '../idle.js';
import { label } from '../labels.js';
import { navigate } from '../router.js';
import { signIn, type Session } from '../session.js';

export const homeOf = (session: Pick<Session, 'role'>): string =>
  session.role === 'administrator' ? '/analytics' : session.role === 'physician' ? '/waiting' : session.role === 'referrer' ? '/referrer' : '/board';

const SITES = [...NEURORADIOLOGY_SITES, 'sacramento', 'redwood-city'];

export function SignInPage() {
  const [role, setRole] = useState<Role>('coordinator');
  const [email, setEmail] = useState('coordinator@example.org');
  const [site, setSite] = useState('');
  const [issues, setIssues] = useState<Issue[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [signedOutReason] = useState(takeSignedOutReason);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const errors = fieldErrors(issues);

  const [cloud, setCloud] = useState<CloudConfig | null>(null);

  useEffect(() => {
    document.title = 'Sign in · CSF Leak Pathway';
    heading.current?.focus();
    // In the cloud: finish a hosted-UI sign-in we are returning from, or offer one.
    void cloudConfig().then(async (config) => {
      if (!config) return;
      setCloud(config);
      try {
        const token = await completeCloudSignIn(config);
        if (!token) return;
        const session = signIn(token);
        if (!session) throw new Error('The token issued could not be read.');
        navigate(takeReturnPath() ?? homeOf(session), { replace: true });
      } catch (err) {
        setFailure(err instanceof Error ? err.message : String(err));
      }
    });
  }, []);

  if (cloud) {
    return (
      <Center mih="80vh" p="md">
        <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={440}>
          <Stack>
            <Title order={1} size="h2" ref={heading} tabIndex={-1}>
              Sign in
            </Title>
            {failure && (
              <Alert color="red" title="Sign-in failed">
                {failure}
              </Alert>
            )}
            <Text>Sign in with your program account (multi-factor authentication required).</Text>
            <Button onClick={() => void startCloudSignIn(cloud)}>Sign in</Button>
          </Stack>
        </Paper>
      </Center>
    );
  }

  const chooseRole = (next: Role) => {
    // Keep a typed email; replace only the suggestion that came with the previous role.
    if (email === `${role}@example.org`) setEmail(`${next}@example.org`);
    setRole(next);
  };

  const submit = async () => {
    setBusy(true);
    setFailure(null);
    setIssues([]);
    try {
      const token = await localSignIn({ role, email: email.trim(), ...(site ? { site } : {}) });
      const session = signIn(token);
      if (!session) throw new Error('The token issued could not be read.');
      navigate(takeReturnPath() ?? homeOf(session), { replace: true });
    } catch (err) {
      if (err instanceof ApiFailure && err.issues.length) setIssues([...err.issues]);
      else setFailure(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="80vh" p="md">
      <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={440}>
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <Stack gap="md">
            <div>
              <Title order={1} fz={26} ref={heading} tabIndex={-1} style={{ outline: 'none' }}>
                Sign in
              </Title>
              <Text size="sm" c="dimmed">
                Local stack: choose who you are. In the cloud, sign-in is the Cognito hosted page.
              </Text>
            </div>
            {signedOutReason ? (
              <Alert color="blue" title="Signed out" data-testid="signed-out-reason">
                {signedOutReason}
              </Alert>
            ) : null}
            {failure ? (
              <Alert color="red" role="alert" title="Could not sign in">
                {failure}
              </Alert>
            ) : null}
            <NativeSelect
              id={fieldId('role')}
              label="Role"
              value={role}
              onChange={(e) => chooseRole(e.currentTarget.value as Role)}
              data={ROLES.map((r) => ({ value: r, label: label(r) }))}
              error={fieldMessage(errors, 'role')}
            />
            <TextInput
              id={fieldId('email')}
              label="Email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              error={fieldMessage(errors, 'email')}
            />
            <NativeSelect
              id={fieldId('site')}
              label="Site"
              description="Physicians see the decisions of their site's team: Santa Clara or Roseville / Sacramento neuroradiology, Sacramento neurointerventional radiology, Redwood City neurosurgery."
              value={site}
              onChange={(e) => setSite(e.currentTarget.value)}
              data={[{ value: '', label: 'All sites' }, ...SITES.map((s) => ({ value: s, label: label(s) }))]}
              error={fieldMessage(errors, 'site')}
            />
            <Button type="submit" loading={busy} fullWidth>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
