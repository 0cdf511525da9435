/**
 * Cost per job: Step Functions Standard bills state transitions. This counts the transitions of the real
 * ASL's path for a job that spends a given time at the service — with our backoff polling and with a fixed
 * 30 s poll — by walking the same decisions the poll task makes (nextWaitSeconds).
 *
 * Run: npm run bench (or: npx tsx bench/poll-cost.ts)
 */
import { nextWaitSeconds } from '#shared/workflow/backoff';

const POLICY = { initialSeconds: 30, maxSeconds: 900 };
/** Transitions outside the poll loop: IsContinuation, ValidateInput, IsInputValid, StartSubmission,
 * SubmitJob, SubmissionOutcome, CopyResults (+ per file 1), FinalizeJob, Succeeded. */
const FIXED = 9;
/** Each poll: WaitBeforePoll, PollJob, PollOutcome. */
const PER_POLL = 3;
/** A continuation: ContinueAsNewExecution here + IsContinuation in the next execution. */
const PER_CONTINUATION = 2;
const MAX_POLLS_PER_EXECUTION = 500;

interface Scenario {
  label: string;
  queueSeconds: number;
  runSeconds: number;
  /** Service-side changes (new log lines) during the run, spread evenly. */
  changes: number;
}

function transitions(s: Scenario, fixedPoll: boolean, files = 25) {
  const total = s.queueSeconds + s.runSeconds;
  const changeTimes = [
    s.queueSeconds,
    ...Array.from(
      { length: s.changes },
      (_, i) => s.queueSeconds + ((i + 1) * s.runSeconds) / (s.changes + 1),
    ),
  ];
  let t = 0;
  let polls = 0;
  let wait: number | undefined;
  let lastSeen = -1;
  while (t < total) {
    const changed = changeTimes.filter((c) => c <= t).length !== lastSeen;
    lastSeen = changeTimes.filter((c) => c <= t).length;
    wait = fixedPoll ? 30 : nextWaitSeconds(wait, changed, POLICY);
    t += wait;
    polls += 1;
  }
  const continuations = Math.floor(polls / MAX_POLLS_PER_EXECUTION);
  const lateness = t - total;
  return {
    polls,
    transitions: FIXED + files + polls * PER_POLL + continuations * PER_CONTINUATION,
    lateness,
  };
}

const scenarios: Scenario[] = [
  {
    label: '1 h job (10 min queue, 50 min run, 20 log changes)',
    queueSeconds: 600,
    runSeconds: 3000,
    changes: 20,
  },
  {
    label: '24 h job (6 h queue, 18 h run, 40 log changes)',
    queueSeconds: 6 * 3600,
    runSeconds: 18 * 3600,
    changes: 40,
  },
  { label: '24 h job, no changes while running', queueSeconds: 0, runSeconds: 24 * 3600, changes: 0 },
];

const PRICE_PER_1000 = 0.025; // USD, Standard workflows, us-east-1
console.log(
  'scenario'.padEnd(55),
  'backoff: polls/transitions/$',
  '  fixed 30 s: polls/transitions/$',
  '  max lateness (s)',
);
for (const s of scenarios) {
  const b = transitions(s, false);
  const f = transitions(s, true);
  const cost = (n: number) => `$${((n / 1000) * PRICE_PER_1000).toFixed(4)}`;
  console.log(
    s.label.padEnd(55),
    `${b.polls}/${b.transitions}/${cost(b.transitions)}`.padEnd(30),
    `${f.polls}/${f.transitions}/${cost(f.transitions)}`.padEnd(34),
    Math.round(b.lateness),
  );
}
