// Called with { id }: the site's own record of a tracked operation.
return await Tracking.Status(Parameters.id);
