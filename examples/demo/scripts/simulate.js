// A random walk for the pump's flow; crossing 90 raises the HighFlow alarm.
const flow = await Instance.GetAttribute('Flow');
const next = Math.max(0, Math.min(120, flow + (Math.random() - 0.45) * 12));
await Instance.SetAttribute('Flow', await Scripts.Call('round', { value: next, digits: 1 }));
