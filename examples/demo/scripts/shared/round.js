const f = 10 ** (Parameters.digits ?? 0);
return Math.round(Parameters.value * f) / f;
