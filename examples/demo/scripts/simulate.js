// The pump's flow: a random walk around a setpoint that follows a 2-minute
// demand cycle between 50 and 100. The walk keeps within 6 of the setpoint, so
// every cycle takes the flow above the HighFlow limit (90), raising the alarm,
// and back below its clear level (85 = limit - deadband), clearing it.
const PERIOD_MS = 120_000;
const BAND = 6;
const setpoint = 75 + 25 * Math.sin((2 * Math.PI * Date.now()) / PERIOD_MS);
const flow = await Instance.GetAttribute('Flow');
const next = flow + 0.3 * (setpoint - flow) + (Math.random() - 0.5) * BAND;
const bounded = Math.max(setpoint - BAND, Math.min(setpoint + BAND, next));
await Instance.SetAttribute('Flow', await Scripts.Call('round', { value: bounded, digits: 1 }));
