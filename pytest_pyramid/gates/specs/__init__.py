"""One file per gate: every module here that defines ``SPEC`` is a gate the engine runs.

Adding a gate is adding a file: declare a :class:`~pytest_pyramid.gates.spec.GateSpec` named
``SPEC``, keep the module's imports light (the engine imports every spec at start-up), and
import the gate's own logic inside ``evaluate``.
"""
