"""The function and EventBridge rule of the exposed-keys-event mode, built with c7n.mu.

Imported only when `custodian run` provisions the policy, never in the Lambda runtime.
"""
import json

from c7n import mu

from c7n_exposedkeys import events, lambdaconfig


class ExposureEventSource(mu.CloudWatchEventSource):
    """One rule whose pattern matches the mode's Health and Trusted Advisor events.

    c7n's own source only renders the event types it knows; everything else
    (rule, permission, target) is c7n's.
    """

    def render_event_pattern(self):
        return json.dumps(events.pattern(
            self.data.get('health-event-codes', events.HEALTH_CODES),
            self.data.get('trusted-advisor', True)))


class ExposureEventLambda(mu.PolicyLambda):
    """c7n's policy function, with the plugin's handler and package by default."""

    @property
    def handler(self):
        return self.policy.data['mode'].get('handler', lambdaconfig.HANDLER)

    @property
    def packages(self):
        packages = list(self.policy.data['mode'].get('packages') or ())
        return packages if lambdaconfig.PACKAGE in packages else packages + [lambdaconfig.PACKAGE]

    def get_events(self, session_factory):
        return [ExposureEventSource(self.policy.data['mode'], session_factory)]
