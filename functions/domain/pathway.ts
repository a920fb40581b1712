// Pathway transitions: where each recorded decision leads (CONTRACT "Where each outcome
// leads"). How a decision folds into the clinical history is history.ts. Pure: the Choice
// states route on the `facts` computed here, and tests walk the ASL to check both agree.
import type { DecisionFacts } from './history.js';
import type { DecisionStage, Stage, Status } from './vocabulary.js';
export type { DecisionFacts } from './history.js';

export type Destination = { readonly stage: Stage } | { readonly status: Exclude<Status, 'active' | 'on_hold'> };

/** The contract's routing table. The ASL encodes the same routes; a test checks they agree. */
export function destinationOf(stage: DecisionStage, outcome: string, facts: DecisionFacts): Destination {
  switch (stage) {
    case 'TRIAGE':
      if (outcome === 'accept') return { stage: 'IMAGING_SELECTION' };
      if (outcome === 'decline') return { status: 'discharged' };
      return { stage: 'TRIAGE' };
    case 'IMAGING_SELECTION':
      return { stage: 'MYELOGRAPHY' };
    case 'MYELOGRAPHY':
      if (outcome === 'leak_found' || facts.negativeLimitReached) return { stage: 'TREATMENT_PLANNING' };
      return { stage: 'IMAGING_SELECTION' };
    case 'TREATMENT_PLANNING':
      if (outcome === 'targeted_patch' || outcome === 'empirical_patch') return { stage: 'TARGETED_PATCH' };
      if (outcome === 'neurosurgery') return { stage: 'NEUROSURGICAL_ESCALATION' };
      if (outcome === 'repeat_imaging') return { stage: 'IMAGING_SELECTION' };
      return { status: 'discharged' };
    case 'TARGETED_PATCH':
      return outcome === 'performed' ? { stage: 'FOLLOW_UP' } : { stage: 'TREATMENT_PLANNING' };
    case 'NEUROSURGICAL_ESCALATION':
      return outcome === 'operated' ? { stage: 'FOLLOW_UP' } : { stage: 'TREATMENT_PLANNING' };
    case 'FOLLOW_UP':
      if (outcome === 'resolved' || outcome === 'improved' || outcome === 'rebound_hypertension') {
        return facts.lastVisit ? { status: 'completed' } : { stage: 'FOLLOW_UP' };
      }
      if (outcome === 'recurrence_new_site') return { stage: 'IMAGING_SELECTION' };
      if (outcome === 'lost_to_follow_up') return { status: 'lost_to_follow_up' };
      return { stage: 'TREATMENT_PLANNING' };
  }
}

