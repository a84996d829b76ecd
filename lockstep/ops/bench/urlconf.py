"""The URL map with the bench's yardstick page mounted whatever LOCKSTEP_BENCH says: for
counting its queries in the bench's own process and for tests."""

from lockstep.urls import BENCH_PATTERNS, handler500
from lockstep.urls import urlpatterns as root_patterns

urlpatterns = [*root_patterns, *(p for p in BENCH_PATTERNS if p not in root_patterns)]

__all__ = ["handler500", "urlpatterns"]
