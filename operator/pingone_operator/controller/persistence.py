"""Where kopf keeps its bookkeeping: in status, beside the operator's own.

kopf records the spec it last handled (its diff base) and a failing handler's retries. In
annotations, every sync ends with two writes: the object (annotations), then its status. In
status, a sync's outcome and kopf's record of it are one /status patch.
"""

from __future__ import annotations

from typing import Any

import kopf

NAME = "kopf"  # status.kopf (its schema: api/crd.py KOPF_STATUS)

# kopf handles an object's next event once its own last patch has come back on the watch, or this
# long after the patch. An event from before that patch (the create intent's, written inside the
# handler) has no diff base yet, so past the timeout kopf runs the create handler again: a name
# lookup and an adoption, safe but twice the work, which slows the watch further. In a burst of
# 1,000 on 2 busy cores the watch fell more than kopf's default 5 s behind (593 creates handled
# twice). The wait holds an event only when the patched version never comes back (a patch that
# changed nothing, a re-list that went past it), so it stays well under a drift interval.
CONSISTENCY_TIMEOUT = 30.0


class StatusDiffBase(kopf.StatusDiffBaseStorage):
    """The last handled spec in status.kopf. Releases before this one kept it in an annotation: it
    is read when status has none, so that an upgrade does not handle every resource as new."""

    def __init__(self, legacy_prefix: str) -> None:
        super().__init__(name=NAME)
        self.legacy = kopf.AnnotationsDiffBaseStorage(prefix=legacy_prefix, key="last-handled-configuration",
                                                      v1=False)

    def fetch(self, *, body: Any) -> Any:
        return super().fetch(body=body) or self.legacy.fetch(body=body)

    def store(self, *, body: Any, patch: Any, essence: Any) -> None:
        super().store(body=body, patch=patch, essence=essence)
        # Once per resource an earlier release handled: its copy would only grow stale.
        for key in self.legacy.make_keys(self.legacy.key, body=body):
            if key in body.metadata.annotations:
                patch.metadata.annotations[key] = None


def tune(settings: kopf.OperatorSettings, legacy_prefix: str) -> None:
    settings.persistence.diffbase_storage = StatusDiffBase(legacy_prefix)
    settings.persistence.progress_storage = kopf.StatusProgressStorage(name=NAME)
    settings.persistence.consistency_timeout = CONSISTENCY_TIMEOUT
