"""The one access gate's memory and its read of the access views: who may see and record what,
decided below the API."""
