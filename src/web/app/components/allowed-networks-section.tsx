import {
  LimitForm,
  type LimitFormProps,
  LimitSection,
  type LimitSectionProps,
  useLimitForm,
} from './account-limit.js';
import { fieldError, TextAreaField } from './ui.js';

/** "1 network", "2 networks": how many entries `networks` has. */
export function networksInShort(networks: string[]): string {
  return networks.length === 1 ? '1 network' : `${networks.length} networks`;
}

/** The list as the field shows it: one entry a line. */
function typedOf(networks: string[] | null): string {
  return networks?.join('\n') ?? '';
}

/** The entries typed, one a line, without the blank lines. */
function entriesOf(typed: string): string[] {
  return typed
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** Where the account's credentials are accepted from now. */
function NetworksInForce({ networks }: { networks: string[] | null }) {
  if (!networks) {
    return (
      <p id="allowed-networks-now">
        Now: <strong>Any address</strong>.
      </p>
    );
  }
  return (
    <div id="allowed-networks-now">
      <p id="allowed-networks-list">
        Now: <strong>Only these addresses and networks</strong>:
      </p>
      <ul aria-labelledby="allowed-networks-list">
        {networks.map((network) => (
          <li key={network}>
            <code>{network}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Sets the account's networks, or accepts any address again; `onChanged` says what was done. */
function NetworksForm(props: LimitFormProps) {
  const own = props.account.allowedNetworks;
  // The server names the entry it refuses (or says the list is too long): that belongs at the field.
  const { typed, setTyped, errors, setErrors, progress, put, remove } = useLimitForm(
    props,
    'allowed-networks',
    (a) => typedOf(a.allowedNetworks),
    (failure) => (failure.status === 400 ? [{ field: 'networks', message: failure.detail }] : []),
  );

  function save(event: Event) {
    event.preventDefault();
    const networks = entriesOf(typed);
    if (networks.length === 0) {
      const instead = own ? '; to accept any address, use Accept any address' : '';
      setErrors([{ field: 'networks', message: `Enter an address or a network, one a line${instead}.` }]);
      return;
    }
    void put(
      { networks },
      "Saved: the account's credentials are accepted from these networks only, from its next request on every node.",
    );
  }

  const acceptAny = () =>
    remove(
      "The account's credentials are accepted from any address again, from its next request on every node.",
    );

  return (
    <LimitForm
      onSave={save}
      progress={progress}
      save="Save networks"
      remove={own ? { label: 'Accept any address', onClick: acceptAny } : null}
    >
      <TextAreaField
        label="Addresses and networks"
        value={typed}
        onValue={setTyped}
        rows={4}
        hint={
          <>
            One a line, up to 100: an IPv4 or IPv6 address (<code>203.0.113.7</code>,{' '}
            <code>2001:db8::10</code>) or network (<code>10.0.0.0/8</code>, <code>2001:db8::/32</code>).
          </>
        }
        error={fieldError(errors, 'networks')}
      />
    </LimitForm>
  );
}

/**
 * *Allowed networks*: where the account's credentials are accepted from (any address, or the list); an admin of
 * the account, of every account or of some, sets the list or accepts any address again.
 */
export function AllowedNetworksSection(props: LimitSectionProps) {
  return (
    <LimitSection
      {...props}
      id="allowed-networks"
      title="Allowed networks"
      now={(account) => <NetworksInForce networks={account.allowedNetworks} />}
      about={
        <>
          With a list, a call from any other address is refused even with the right secret: the account's v1
          key and its access tokens (those already issued too) get <code>403</code>, its client at the token
          endpoint <code>400 unauthorized_client</code>. The address is the caller's as the server sees it:
          behind a load balancer, the server's <code>TRUST_PROXY</code> setting says which one that is.
        </>
      }
      Form={NetworksForm}
    />
  );
}
