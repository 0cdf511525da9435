/**
 * The New job form's service options and its review: one select per option the service offers this
 * researcher (populations of the chosen panel only, none preselected; every change reconciled so the
 * choices stay valid, and a choice the change cannot keep is said, not dropped silently), and the facts
 * of the job about to be created, in the service's own labels.
 */
import { useId } from 'react';
import type { ServiceOptions } from '../api/client';
import {
  type ChoiceField,
  choiceLabels,
  droppedChoices,
  type JobChoices,
  labelOf,
  populationsOf,
  reconcileChoices,
} from '../lib/job-options';

export function OptionFields(props: {
  options: ServiceOptions;
  serviceName: string;
  choices: JobChoices;
  onChange: (choices: JobChoices, notes: string[]) => void;
  /** The id of the advice that says the chosen build contradicts the files, while it does. */
  buildAdviceId?: string;
}) {
  const { options, choices, onChange } = props;
  const populations = populationsOf(options, choices.refPanel);
  const set = (field: ChoiceField) => (value: string) => {
    const wanted = { ...choices, [field]: value };
    const next = reconcileChoices(options, wanted);
    // The other choices keep their labels: a population the new panel lacks is named as it was.
    const labels = choiceLabels(options, choices);
    onChange(next, droppedChoices(options, wanted, next, labels, props.serviceName));
  };
  return (
    <div className="option-grid">
      <Select
        label="Reference panel"
        value={choices.refPanel}
        list={options.refPanels}
        onChange={set('refPanel')}
      />
      {populations.length > 0 ? (
        <Select
          label="Population"
          value={choices.population}
          list={populations}
          placeholder="Choose a population"
          onChange={set('population')}
        />
      ) : null}
      <Select
        label="Build of your input data"
        value={choices.build}
        list={options.builds}
        onChange={set('build')}
        describedBy={props.buildAdviceId}
      />
      <Select label="Phasing" value={choices.phasing} list={options.phasing} onChange={set('phasing')} />
      <Select label="Mode" value={choices.mode} list={options.modes} onChange={set('mode')} />
      <Select
        label="r² filter"
        value={choices.r2Filter}
        list={options.r2Filters}
        onChange={set('r2Filter')}
      />
    </div>
  );
}

function Select(props: {
  label: string;
  value: string;
  list: { id: string; label: string }[];
  /** Shown, and the select marked invalid, while nothing is chosen. */
  placeholder?: string;
  onChange: (v: string) => void;
  /** An advice about this choice: read with it, and the choice marked invalid while it is shown. */
  describedBy?: string;
}) {
  const id = useId();
  const unchosen = props.placeholder !== undefined && props.value === '';
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        required={props.placeholder !== undefined}
        aria-invalid={unchosen || props.describedBy !== undefined || undefined}
        aria-describedby={props.describedBy}
        onChange={(e) => props.onChange(e.target.value)}
      >
        {unchosen ? (
          <option value="" disabled>
            {props.placeholder}
          </option>
        ) : null}
        {props.list.map((choice) => (
          <option key={choice.id} value={choice.id}>
            {choice.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function JobReview(props: {
  options: ServiceOptions;
  choices: JobChoices;
  files: number;
  /** Where the job runs: the service's name, or which services the gateway picks among. */
  service?: string;
}) {
  const { options, choices } = props;
  const populations = populationsOf(options, choices.refPanel);
  return (
    <dl className="facts">
      <dt>Files</dt>
      <dd>{props.files}</dd>
      {props.service ? (
        <>
          <dt>Service</dt>
          <dd>{props.service}</dd>
        </>
      ) : null}
      <dt>Reference panel</dt>
      <dd>{labelOf(options.refPanels, choices.refPanel)}</dd>
      <dt>Population</dt>
      <dd>
        {populations.length === 0
          ? 'off (the panel offers none)'
          : choices.population === ''
            ? 'not chosen yet'
            : labelOf(populations, choices.population)}
      </dd>
      <dt>Build of your input data</dt>
      <dd>{labelOf(options.builds, choices.build)}</dd>
      <dt>Phasing</dt>
      <dd>{labelOf(options.phasing, choices.phasing)}</dd>
      <dt>Mode</dt>
      <dd>{labelOf(options.modes, choices.mode)}</dd>
      <dt>r² filter</dt>
      <dd>{labelOf(options.r2Filters, choices.r2Filter)}</dd>
    </dl>
  );
}
