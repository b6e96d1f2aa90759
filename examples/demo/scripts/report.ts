// Reports the pump's flow to the ERP. A cached call: if the ERP is down the
// reading is kept on disk and retried; the script gets the tracking id at once.
const flow = (await Instance.GetAttribute('Flow')) as number;
const id: string = await ExternalSystem.CachedCall('ERP', 'postReading', {
  pump: 'Pump1',
  flow,
  at: new Date().toISOString(),
});
log.info(`reading ${flow} submitted as ${id}`);
return id;
