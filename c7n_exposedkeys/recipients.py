"""Find notify recipients that are still `{placeholders}` after variable expansion."""
import re

PLACEHOLDER = re.compile(r'\{[A-Za-z_][A-Za-z0-9_]*\}')
RECIPIENT_KEYS = ('to', 'cc', 'owner_absent_contact')
# c7n's notify and ours (notify.py), which takes the same recipients.
NOTIFY_TYPES = ('notify', 'notify-exposed-keys')


def unresolved(policy_data):
    """Placeholders left in the recipients of the policy's notify actions.

    c7n leaves an unknown `{name}` as literal text, so a run without the
    --vars-file that defines it would address mail to "{name}".
    """
    found = []
    for action in policy_data.get('actions', ()):
        if not isinstance(action, dict) or action.get('type') not in NOTIFY_TYPES:
            continue
        for key in RECIPIENT_KEYS:
            for value in action.get(key, ()):
                found.extend(m for m in PLACEHOLDER.findall(str(value)) if m not in found)
    return found
