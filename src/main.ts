import "./ui/lab-app.ts";
import { setUpOffline } from "./ui/offline.ts";

void setUpOffline().catch((e: Error) => console.warn(`offline support unavailable: ${e.message}`));
