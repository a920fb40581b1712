// Hold, resume and withdraw (coordinators): each asks for its reason in a dialog and is checked
// with the API's own schemas before it is sent.
import { Alert, Button, Group, Menu, Modal, NativeSelect, Stack, Text, Textarea } from '@mantine/core';
import { useState } from 'react';
import { holdSchema, withdrawSchema } from '../../../functions/domain/schemas.js';
import { HOLD_REASONS, PATIENT_DRIVEN_HOLDS } from '../../../functions/domain/vocabulary.js';
import { ApiFailure, apiJson, type Issue } from '../api.js';
import { fieldErrors, fieldMessage, zodIssues } from '../form-issues.js';
import { label } from '../labels.js';
import { ErrorSummary, fieldId } from './error-summary.js';

type Action = 'hold' | 'resume' | 'withdraw';

export interface PatientActionsProps {
  readonly patientId: string;
  readonly caseRef: string;
  readonly status: string;
  readonly onDone: (message: string) => void;
  /** A compact menu (board cards) or a row of buttons (patient page). */
  readonly variant?: 'menu' | 'buttons';
}

export function availableActions(status: string): Action[] {
  if (status === 'active') return ['hold', 'withdraw'];
  if (status === 'on_hold') return ['resume', 'withdraw'];
  return [];
}

const ACTION_LABEL: Record<Action, string> = { hold: 'Put on hold', resume: 'Resume', withdraw: 'Withdraw' };

export function PatientActions({ patientId, caseRef, status, onDone, variant = 'buttons' }: PatientActionsProps) {
  const [open, setOpen] = useState<Action | null>(null);
  const actions = availableActions(status);
  if (actions.length === 0) return null;
  return (
    <>
      {variant === 'menu' ? (
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>
            <Button size="compact-xs" variant="subtle" aria-label={`Actions for ${caseRef}`}>
              Actions
            </Button>
          </Menu.Target>
          <Menu.Dropdown>
            {actions.map((a) => (
              <Menu.Item key={a} color={a === 'withdraw' ? 'red.9' : undefined} onClick={() => setOpen(a)}>
                {ACTION_LABEL[a]}
              </Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
      ) : (
        <Group gap="xs">
          {actions.map((a) => (
            <Button key={a} variant={a === 'withdraw' ? 'outline' : 'default'} color={a === 'withdraw' ? 'red.9' : undefined} onClick={() => setOpen(a)}>
              {ACTION_LABEL[a]}
            </Button>
          ))}
        </Group>
      )}
      {open ? (
        <ActionDialog
          action={open}
          patientId={patientId}
          caseRef={caseRef}
          onClose={() => setOpen(null)}
          onDone={(m) => {
            setOpen(null);
            onDone(m);
          }}
        />
      ) : null}
    </>
  );
}

const HOLD_LABELS = { reason: 'Hold reason', note: 'Note' };
const WITHDRAW_LABELS = { reason: 'Reason for withdrawal' };

function ActionDialog({ action, patientId, caseRef, onClose, onDone }: { action: Action; patientId: string; caseRef: string; onClose: () => void; onDone: (message: string) => void }) {
  const [reason, setReason] = useState(action === 'hold' ? '' : '');
  const [note, setNote] = useState('');
  const [issues, setIssues] = useState<Issue[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrors(issues);

  const submit = async () => {
    setFailure(null);
    const body =
      action === 'hold' ? { reason: reason || undefined, ...(note.trim() ? { note: note.trim() } : {}) } : action === 'withdraw' ? { reason } : {};
    if (action !== 'resume') {
      const parsed = (action === 'hold' ? holdSchema : withdrawSchema).safeParse(body);
      if (!parsed.success) return setIssues(zodIssues(parsed.error));
    }
    setIssues([]);
    setBusy(true);
    try {
      await apiJson('POST', `/patients/${encodeURIComponent(patientId)}/${action}`, body);
      onDone(action === 'hold' ? `${caseRef} is on hold.` : action === 'resume' ? `${caseRef} resumed.` : `${caseRef} was withdrawn.`);
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 409) {
        // Someone acted first: nothing was applied; the screen reloads and says what changed.
        onDone(`Not applied: ${caseRef} changed meanwhile (${err.message}). The view now shows the current record.`);
        return;
      }
      if (err instanceof ApiFailure && err.issues.length) setIssues([...err.issues]);
      else setFailure(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={onClose} title={`${ACTION_LABEL[action]}: ${caseRef}`} centered closeButtonProps={{ 'aria-label': 'Close dialog' }}>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Stack gap="sm">
          {failure ? (
            <Alert color="red" role="alert" title="Not done">
              {failure}
            </Alert>
          ) : null}
          <ErrorSummary issues={issues} labels={action === 'hold' ? HOLD_LABELS : WITHDRAW_LABELS} />
          {action === 'hold' ? (
            <>
              <NativeSelect
                id={fieldId('reason')}
                data-autofocus
                label="Hold reason"
                required
                value={reason}
                onChange={(e) => setReason(e.currentTarget.value)}
                error={fieldMessage(errors, 'reason')}
                data={[
                  { value: '', label: 'Choose a reason…', disabled: true },
                  { group: 'Patient-driven (stops the clock)', items: HOLD_REASONS.filter((r) => PATIENT_DRIVEN_HOLDS.includes(r)).map((r) => ({ value: r, label: label(r) })) },
                  { group: 'Program-driven', items: HOLD_REASONS.filter((r) => !PATIENT_DRIVEN_HOLDS.includes(r)).map((r) => ({ value: r, label: label(r) })) },
                ]}
              />
              <Textarea id={fieldId('note')} label="Note (optional)" autosize minRows={2} value={note} onChange={(e) => setNote(e.currentTarget.value)} error={fieldMessage(errors, 'note')} />
            </>
          ) : null}
          {action === 'withdraw' ? (
            <Textarea
              id={fieldId('reason')}
              data-autofocus
              label="Reason for withdrawal"
              required
              autosize
              minRows={2}
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
              error={fieldMessage(errors, 'reason')}
            />
          ) : null}
          {action === 'resume' ? <Text size="sm">The pathway continues from where it was held, and its due date moves on by the time on hold.</Text> : null}
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} color={action === 'withdraw' ? 'red.9' : undefined} {...(action === 'resume' ? { 'data-autofocus': true } : {})}>
              {ACTION_LABEL[action]}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
