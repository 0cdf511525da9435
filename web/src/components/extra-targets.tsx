/**
 * "Also run at…": more places to run the same files and options, each a service's panel (from GET /panels)
 * and its population. With at least one, New job sends `targets` and the API creates a parent job with
 * one job per place.
 */
import { useId } from 'react';
import type { PanelList } from '../api/client';

export interface ExtraTarget {
  /** `serviceId|refPanel` of the offer chosen. */
  offer: string;
  population: string;
}

/** Places beside the main one (the API takes 2-5 targets in all). */
export const MAX_EXTRA_TARGETS = 4;

interface Offer {
  key: string;
  serviceId: string;
  refPanel: string;
  label: string;
  populations: { id: string; label: string }[];
}

function offersOf(panels: PanelList | undefined): Offer[] {
  return (panels?.panels ?? []).flatMap((panel) =>
    panel.services.map((offer) => ({
      key: `${offer.serviceId}|${offer.refPanel}`,
      serviceId: offer.serviceId,
      refPanel: offer.refPanel,
      label: `${offer.serviceName}: ${offer.label}`,
      populations: offer.populations,
    })),
  );
}

/** The API's targets for the extra places. */
export function extraTargetsToSend(panels: PanelList | undefined, extras: readonly ExtraTarget[]) {
  const offers = offersOf(panels);
  return extras.flatMap((extra) => {
    const offer = offers.find((o) => o.key === extra.offer);
    if (!offer) return [];
    return [
      {
        serviceId: offer.serviceId,
        refPanel: offer.refPanel,
        ...(extra.population ? { population: extra.population } : {}),
      },
    ];
  });
}

export function ExtraTargets({
  panels,
  extras,
  onChange,
}: {
  panels: PanelList | undefined;
  extras: ExtraTarget[];
  onChange: (extras: ExtraTarget[]) => void;
}) {
  const baseId = useId();
  const offers = offersOf(panels);
  if (offers.length === 0) return null;
  const update = (index: number, next: ExtraTarget) =>
    onChange(extras.map((extra, i) => (i === index ? next : extra)));
  return (
    <div className="extra-targets">
      <h3>Also run at…</h3>
      <p className="hint muted">
        The same files and options at other services or panels: one job per place, followed together.
      </p>
      <p className="visually-hidden" aria-live="polite">
        {extras.length === 0 ? '' : `${extras.length + 1} places in all.`}
      </p>
      {extras.map((extra, index) => {
        const offer = offers.find((o) => o.key === extra.offer);
        const id = `${baseId}-${index}`;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity beyond their place
          <fieldset key={index} className="extra-target">
            <legend className="visually-hidden">Place {index + 2}</legend>
            <div className="field">
              <label htmlFor={`${id}-offer`}>Service and panel (place {index + 2})</label>
              <select
                id={`${id}-offer`}
                value={extra.offer}
                onChange={(e) => update(index, { offer: e.target.value, population: '' })}
              >
                <option value="">Choose…</option>
                {offers.map((o) => (
                  <option key={o.key} value={o.key}>
                    {o.label}
                  </option>
                ))}
              </select>
            </div>
            {offer && offer.populations.length > 0 ? (
              <div className="field">
                <label htmlFor={`${id}-population`}>Population (place {index + 2})</label>
                <select
                  id={`${id}-population`}
                  value={extra.population}
                  onChange={(e) => update(index, { ...extra, population: e.target.value })}
                >
                  <option value="">Same as above</option>
                  {offer.populations.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.label}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
            <button
              type="button"
              className="button"
              onClick={() => onChange(extras.filter((_, i) => i !== index))}
            >
              Remove place {index + 2}
            </button>
          </fieldset>
        );
      })}
      {extras.length < MAX_EXTRA_TARGETS ? (
        <button
          type="button"
          className="button"
          onClick={() => onChange([...extras, { offer: '', population: '' }])}
        >
          Also run at another place
        </button>
      ) : null}
    </div>
  );
}
