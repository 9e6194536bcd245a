import "./ui/lab-app.ts";
